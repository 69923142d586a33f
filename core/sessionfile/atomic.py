"""Write a file so that a crash leaves either the old content or the new, never half."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from pathlib import Path

import aiofiles
import aiofiles.os

__all__ = ["write_atomic"]


async def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text` (UTF-8) atomically.

    The text goes to a hidden temporary file beside `path` (``.<name>.<random>.tmp``, so a
    listing of ``*.md`` never shows it), is flushed and fsynced, then renamed over `path`
    with `os.replace`. If anything fails before the rename, the temporary file is removed and
    `path` is untouched. An existing file's permissions are kept.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
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
