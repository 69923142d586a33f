"""Read a session file from disk with a bound, so no file can exhaust memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import aiofiles
import aiofiles.os

from .errors import SessionFileError
from .parse import MAX_FILE_BYTES

__all__ = ["read_session_file"]


async def read_session_file(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES
) -> bytes:
    """The bytes of the session file at `path`, at most ``max_bytes + 1`` of them.

    A device, pipe or folder (``/dev/zero``) and a file over `max_bytes` raise
    `SessionFileError` before any byte is read; a file that grows meanwhile is cut one byte over
    the limit, which the parser refuses. Opening failures raise `OSError` as usual.
    """
    source = str(path)
    info = await aiofiles.os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise SessionFileError("not a regular file; give the path of a .md file", source=source)
    if info.st_size > max_bytes:
        raise SessionFileError(
            f"the file is larger than {max_bytes} bytes; Ramify does not read session files "
            "that big",
            source=source,
        )
    async with aiofiles.open(Path(path), "rb") as file:
        return bytes(await file.read(max_bytes + 1))
