"""Shutdown is bounded: an agent that swallows its cancellation cannot keep the process alive.

Each case runs in a subprocess, since what hangs is the event loop's own closing
(`asyncio.run` waits for every task it knows); the subprocess timeout is the bound.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

STUBBORN_AGENT = """
import asyncio
import logging
import sys

from ramify.core import InteractionContext, Ramify, agent

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


@agent
async def stubborn(ctx: InteractionContext) -> None:
    ctx.reply("started")
    while True:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            print("swallowed a cancel", flush=True)


async def main() -> None:
    async for reply in stubborn.inquire():
        print(await reply, flush=True)
        break
"""

ENTRIES = {
    "run": "Ramify(shutdown_timeout=0.1, cancel_grace=0.1).run(main())",
    "async_with": textwrap.dedent(
        """
        async def outer() -> None:
            async with Ramify(shutdown_timeout=0.1, cancel_grace=0.1):
                await main()

        asyncio.run(outer())
        """
    ),
}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_a_stubborn_agent_is_named_and_abandoned_so_the_process_exits(
    entry: str, tmp_path: Path
) -> None:
    script = tmp_path / "stubborn.py"
    script.write_text(STUBBORN_AGENT + ENTRIES[entry] + '\nprint("exited", flush=True)\n')
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["started", "swallowed a cancel", "exited"]
    assert "gave up on producer STUBBORN" in result.stderr
    assert "Traceback" not in result.stderr
    assert "destroyed but it is pending" not in result.stderr
