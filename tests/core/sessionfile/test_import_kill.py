"""An import killed at a random moment (SIGKILL, or Ctrl+C) leaves the whole session or none
of it, a sound database, and a retry that makes exactly one session."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ramify.core import AssistantMessage, MemoryStore, Session, UserMessage

MESSAGES = 1500

_IMPORTER = """
import asyncio, sys
from ramify.core import Session, SQLiteStore

async def main(database, file):
    with open(file, "rb") as handle:
        data = handle.read()
    async with SQLiteStore(database) as store:
        print("start", flush=True)
        session = await Session.import_markdown(store, data, source=file)
        print("done", session.id, flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def _large_export() -> str:
    async with MemoryStore() as store:
        session = await Session.create(store, title="large")
        for number in range(MESSAGES):
            kind = UserMessage if number % 2 == 0 else AssistantMessage
            text = f"message {number}: " + "lorem ipsum dolor sit amet " * 60
            await session.append(kind(text=text), sender="USER" if number % 2 == 0 else "bot")
        await session.fork((await session.path("main"))[MESSAGES // 2], "side")
        return await session.export_markdown("tree")


def _start(database: Path, file: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", _IMPORTER, str(database), str(file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "start\n", child.stderr.read() if child.stderr else ""
    return child


def _contents(database: Path) -> tuple[int, int, int]:
    """Sessions, nodes and branches in the file, after an integrity check."""
    db = sqlite3.connect(database)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return (
            db.execute("SELECT count(*) FROM sessions").fetchone()[0],
            db.execute("SELECT count(*) FROM nodes").fetchone()[0],
            db.execute("SELECT count(*) FROM refs").fetchone()[0],
        )
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_an_import_stopped_at_random_moments_is_all_or_nothing_and_retries_once(
    tmp_path: Path, stop: signal.Signals
) -> None:
    file = tmp_path / "large.md"
    file.write_text(asyncio.run(_large_export()), encoding="utf-8")
    # One import run to the end, to learn how long one takes on this machine: the kills
    # below land anywhere from start to end. The timing picks moments, it asserts nothing.
    began = time.monotonic()
    calibration = _start(tmp_path / "calibrate.db", file)
    calibration.communicate(timeout=120)
    duration = time.monotonic() - began
    whole = _contents(tmp_path / "calibrate.db")
    assert whole == (1, MESSAGES, 2)

    database = tmp_path / "ramify.sqlite3"
    rng = random.Random(int(stop))
    outcomes = set()
    for _ in range(6):
        child = _start(database, file)
        try:
            child.wait(timeout=rng.uniform(0, duration))
        except subprocess.TimeoutExpired:
            child.send_signal(stop)
        child.communicate(timeout=120)
        found = _contents(database)
        assert found in {(0, 0, 0), whole}
        outcomes.add(found)
    retry = _start(database, file)
    out, err = retry.communicate(timeout=120)
    assert out.startswith("done"), err
    assert _contents(database) == whole
    assert outcomes
