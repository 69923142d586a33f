"""A writer killed with SIGKILL mid-write leaves a sound database with all it committed."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ramify.core import SQLiteStore

# The child writes an endless chain in small batches and reports each committed batch.
_WRITER = """
import asyncio, sys
from ramify.core import Node, SQLiteStore, UserMessage

async def main(path):
    async with SQLiteStore(path) as store:
        parent = None
        number = 0
        while True:
            nodes, messages = [], []
            for _ in range(25):
                message = UserMessage(text=f"crash test message {number} " + "x" * 200)
                node = Node(message=message.hash_key, parent=parent)
                parent = node.hash_key
                nodes.append(node)
                messages.append(message)
                number += 1
            await store.put_nodes(nodes, messages, session_id="crash")
            sys.stdout.write("".join(n.hash_key + "\\n" for n in nodes))
            sys.stdout.flush()

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_write_keeps_every_committed_node(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[str] = []
    try:
        assert child.stdout is not None
        while len(reported) < 2000:
            line = child.stdout.readline()
            assert line, f"writer died early: {child.stderr.read() if child.stderr else ''}"
            reported.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)
        # Whatever was reported before the kill landed was committed too.
        reported.extend(line.strip() for line in child.stdout if len(line.strip()) == 64)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {row[0] for row in db.execute("SELECT hash FROM nodes")}
    db.close()
    assert set(reported) <= stored

    async def reopen() -> None:
        async with SQLiteStore(path) as store:
            path_nodes = await store.path(reported[-1])
            assert len(path_nodes) >= len(reported)

    asyncio.run(reopen())
