"""`ramify` against a session database in real trouble (read-only, full, locked, damaged):
one line naming the cause and what to do, exit 1, never a traceback or locals.

The tests run as root, whom file modes do not stop: read-only here means an immutable file or
folder (`chattr +i`), and a full disk is a tiny tmpfs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import select
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ramify.core import Session, SQLiteStore, UserMessage

pytestmark = pytest.mark.slow

SESSIONS = Path(__file__).resolve().parent.parent / "sessions"
LINEAR = SESSIONS / "linear.md"


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(home / "none.toml")}


def _ramify(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ramify.tui.cli", *args],
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=120,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ramify: ")
    return lines[0]


def _make_database(home: Path, messages: int = 2) -> Path:
    path = home / "ramify.sqlite3"

    async def fill() -> None:
        async with SQLiteStore(path) as store:
            session = await Session.create(store, title="kept")
            for number in range(messages):
                await session.append(UserMessage(text=f"message {number} " + "z" * 400))

    asyncio.run(fill())
    return path


@contextlib.contextmanager
def _immutable(path: Path) -> Iterator[None]:
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {made.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_database_file_is_named_as_such(tmp_path: Path) -> None:
    database = _make_database(tmp_path)
    with _immutable(database):
        line = _one_line(_ramify(tmp_path, "import", str(LINEAR)))
    assert "cannot be written" in line
    assert "cannot be read as a database" not in line
    assert "RAMIFY_HOME" in line


def test_a_read_only_folder_is_named_as_such(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with _immutable(home):
        line = _one_line(_ramify(home, "sessions"))
    assert "cannot open the session database" in line
    assert "cannot be read as a database" not in line


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    mount_point = Path(tempfile.mkdtemp(prefix="ramify-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
        mount_point.rmdir()


def test_a_full_disk_is_named_as_such(tiny_disk: Path) -> None:
    _make_database(tiny_disk)
    big = SESSIONS / "branched.tree.md"
    filler = tiny_disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as file:
        while True:
            file.write(b"\0" * 4096)
            file.flush()
    line = _one_line(_ramify(tiny_disk, "import", str(big)))
    assert "is full" in line
    assert "cannot be read as a database" not in line
    filler.unlink()
    listed = _ramify(tiny_disk, "sessions")
    assert listed.returncode == 0, listed.stderr
    assert "kept" in listed.stdout


def test_a_database_locked_by_another_writer_is_named_as_such(tmp_path: Path) -> None:
    database = _make_database(tmp_path)
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        line = _one_line(_ramify(tmp_path, "import", str(LINEAR)))
    finally:
        holder.close()
    assert "locked by another program" in line


def _damage(database: Path) -> None:
    size = database.stat().st_size
    with database.open("r+b") as file:
        file.seek(size // 3)
        file.write(b"\xff" * (size // 3))


def test_damaged_pages_end_export_in_one_line(tmp_path: Path) -> None:
    _damage(_make_database(tmp_path, messages=300))
    line = _one_line(_ramify(tmp_path, "export"))
    assert "is damaged" in line


def test_damaged_pages_end_the_ide_in_one_line_with_exit_1(tmp_path: Path) -> None:
    _damage(_make_database(tmp_path, messages=300))
    controller, terminal = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "ramify.tui.cli", "--demo"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**_env(tmp_path), "TERM": "xterm-256color"},
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            elif child.poll() is not None:
                break
        code = child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(controller)
    text = output.decode("utf-8", "replace")
    assert code == 1, text[-2000:]
    assert "Traceback" not in text
    assert "is damaged" in text
