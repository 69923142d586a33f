"""Ctrl+Q in a real terminal leaves even when an agent swallows its cancellation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.e2e.terminal import TMUX, Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

RAMIFY = Path(sys.executable).with_name("ramify")

STUBBORN_AGENT = """
import asyncio

from ramify.core import InteractionContext, agent


@agent
async def stubborn(ctx: InteractionContext) -> None:
    ctx.reply("stubborn agent started")
    while True:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
"""


@pytest.mark.timeout(90)
def test_quit_leaves_and_names_an_agent_that_ignores_cancellation(tmp_path: Path) -> None:
    agent_file = tmp_path / "stubborn.py"
    agent_file.write_text(STUBBORN_AGENT)
    home = tmp_path / "home"
    home.mkdir()
    environment = {"RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(tmp_path / "config.toml")}
    terminal = Terminal(tmp_path, [str(RAMIFY), f"{agent_file}:stubborn"], environment)
    try:
        terminal.wait_for("⑂ main", "the path bar")
        terminal.type("hello")
        terminal.wait_for("▊ hello", "the message in the composer")
        terminal.press("Enter")
        terminal.wait_for("⑂ main  2/2  · 1 branch  · 1 running", "the first reply, still running")
        terminal.press("C-q")
        # Without a bound the process never exits and this deadline fails the test.
        assert terminal.wait_for_exit(deadline=30) == 0
        assert "gave up on producer STUBBORN" in terminal.screen()
    finally:
        terminal.close()
