"""`write_atomic`: all of the new text or all of the old, never half, and no litter."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE
from typing import Any

import aiofiles
import pytest

from ramify.core.sessionfile import write_atomic
from ramify.core.sessionfile.atomic import STALE_AFTER


async def test_writes_a_new_file_and_replaces_an_old_one(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    await write_atomic(target, "first ✓\r\nkeeps line endings\n")
    assert target.read_bytes() == "first ✓\r\nkeeps line endings\n".encode()
    await write_atomic(str(target), "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.md"]


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
async def test_an_existing_files_permissions_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.write_text("old")
    target.chmod(0o640)
    await write_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


async def test_a_crash_half_way_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "chat.md"
    target.write_text("the old session\n", encoding="utf-8")
    real_open = aiofiles.open
    opened: list[Path] = []

    class HalfWriter:
        """A file whose write stops half-way with a full disk."""

        def __init__(self, handle: Any) -> None:
            self._handle = handle

        async def write(self, text: str) -> None:
            await self._handle.write(text[: len(text) // 2])
            await self._handle.flush()
            assert Path(opened[-1]).read_text(encoding="utf-8")  # half is on disk now
            raise OSError(28, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self._handle, name)

    class Opener:
        def __init__(self, path: Path, *args: Any, **kwargs: Any) -> None:
            opened.append(Path(path))
            self._context = real_open(path, *args, **kwargs)

        async def __aenter__(self) -> HalfWriter:
            return HalfWriter(await self._context.__aenter__())

        async def __aexit__(self, *exc: Any) -> None:
            await self._context.__aexit__(*exc)

    monkeypatch.setattr(aiofiles, "open", Opener)
    with pytest.raises(OSError, match="No space left"):
        await write_atomic(target, "the new session, " * 1000)
    assert target.read_text(encoding="utf-8") == "the old session\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.md"]
    temporary = opened[-1]
    assert temporary.parent == tmp_path  # same directory, so the rename is atomic
    assert temporary.name.startswith(".chat.md.")
    assert temporary.suffix == ".tmp"  # hidden and never *.md, even if a crash left it


async def test_a_failed_rename_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "chat.md"
    target.write_text("old", encoding="utf-8")

    async def refuse(*args: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(aiofiles.os, "replace", refuse)
    with pytest.raises(PermissionError):
        await write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.md"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _litter(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp"))


async def test_temporary_files_of_dead_writers_are_removed_by_the_next_write(
    tmp_path: Path,
) -> None:
    target = tmp_path / "chat.md"
    dead = tmp_path / f".chat.md.{_dead_pid()}.0123456789ab.tmp"
    dead.write_text("half of a killed write")
    other_target = tmp_path / f".notes.md.{_dead_pid()}.0123456789ab.tmp"
    other_target.write_text("another file's write")
    await write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert _litter(tmp_path) == [other_target.name]


def test_a_live_writers_temporary_file_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    writer = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=PIPE)
    try:
        live = tmp_path / f".chat.md.{writer.pid}.0123456789ab.tmp"
        live.write_text("still being written")
        asyncio.run(write_atomic(target, "new"))
        assert _litter(tmp_path) == [live.name]
    finally:
        writer.communicate(b"")
    asyncio.run(write_atomic(target, "newer"))
    assert _litter(tmp_path) == []


async def test_old_temporary_files_are_removed_whoever_wrote_them(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    unnamed = tmp_path / ".chat.md.0123456789ab.tmp"  # written before pids were recorded
    fresh = tmp_path / ".chat.md.ba9876543210.tmp"
    for path in (unnamed, fresh):
        path.write_text("litter")
    long_ago = time.time() - STALE_AFTER - 60
    os.utime(unnamed, (long_ago, long_ago))
    await write_atomic(target, "new")
    assert _litter(tmp_path) == [fresh.name]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_write_killed_midway_leaves_litter_that_the_next_write_clears(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    script = (
        "import asyncio, sys\n"
        "from ramify.core.sessionfile import write_atomic\n"
        "print('writing', flush=True)\n"
        "asyncio.run(write_atomic(sys.argv[1], 'x' * 200_000_000))\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=PIPE)
    assert child.stdout is not None
    assert child.stdout.readline() == b"writing\n"
    # Wait until the half-written temporary file exists, then kill the writer.
    while not _litter(tmp_path):
        assert child.poll() is None
    child.kill()
    child.wait()
    assert _litter(tmp_path)
    asyncio.run(write_atomic(target, "after the crash"))
    assert _litter(tmp_path) == []
    assert target.read_text(encoding="utf-8") == "after the crash"


async def test_the_file_and_its_folder_are_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "chat.md"
    synced: list[tuple[Path, bool]] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        synced.append((Path(os.readlink(f"/proc/self/fd/{descriptor}")), target.exists()))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    await write_atomic(target, "durable")
    assert len(synced) == 2
    (file, replaced_yet), (folder, replaced_after) = synced
    # The text is on disk before the rename makes it the target, and the rename after it.
    assert file.parent == tmp_path
    assert file.name.startswith(".chat.md.")
    assert not replaced_yet
    assert folder == tmp_path
    assert replaced_after
