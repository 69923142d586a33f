"""Write a file so that a crash leaves either the old content or the new, never half."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
import uuid
from pathlib import Path

import aiofiles
import aiofiles.os

__all__ = ["STALE_AFTER", "write_atomic"]

STALE_AFTER = 3600.0
"""Seconds after which a temporary file is litter even if its writer's pid is alive (reused)."""


async def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text` (UTF-8) atomically.

    The text goes to a hidden temporary file beside `path` (``.<name>.<pid>.<random>.tmp``,
    so a listing of ``*.md`` never shows it), is flushed and fsynced, then renamed over `path`
    with `os.replace`, and the folder is fsynced. If anything fails before the rename, the
    temporary file is removed and `path` is untouched. An existing file's permissions are
    kept. Temporary files of `path` left by writers that were killed (their process is gone,
    or the file is older than `STALE_AFTER`) are removed; a live writer's is left alone.
    """
    target = Path(path)
    await asyncio.to_thread(_remove_litter, target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        async with aiofiles.open(temporary, "x", encoding="utf-8", newline="") as file:
            await file.write(text)
            await file.flush()
            await asyncio.to_thread(os.fsync, file.fileno())
        with contextlib.suppress(FileNotFoundError):
            mode = (await aiofiles.os.stat(target)).st_mode
            await asyncio.to_thread(os.chmod, temporary, mode & 0o7777)
        await aiofiles.os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            await aiofiles.os.remove(temporary)
        raise
    await asyncio.to_thread(_sync_directory, target.parent)


def _remove_litter(target: Path) -> None:
    # Names written before writers recorded their pid have only the random part.
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(?:(\d+)\.)?[0-9a-f]{{12}}\.tmp")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        with contextlib.suppress(OSError):
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if old or (match[1] is not None and not _alive(int(match[1]))):
                os.remove(entry.path)


def _alive(pid: int) -> bool:
    # Signal 0 only probes on POSIX (on Windows it is CTRL_C_EVENT): elsewhere, age decides.
    if pid == os.getpid() or os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, OSError):
        # Someone else's process (or a pid this system cannot have): not ours to call dead.
        return True
    return True


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; directories cannot be opened on Windows.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
