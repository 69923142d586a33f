"""SQLite's errors, told apart at the store boundary: each becomes a `StoreError` whose one
line names the real cause and what to do."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from ..errors import (
    CorruptDatabase,
    DatabaseCannotOpen,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseUnavailable,
    DiskFull,
    StoreError,
)

__all__ = ["is_damage", "store_error"]

# Primary result codes (the low byte of an extended code), from sqlite3.h.
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = (
    3, 5, 6, 8, 10, 11, 13, 14, 26,
)  # fmt: skip


# Less free space than this, after a failed write, means the write failed for want of space.
_NEARLY_FULL = 1024 * 1024


def _code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_damage(error: sqlite3.Error) -> bool:
    """Whether `error` says the file is not a (sound) SQLite database."""
    return _code(error) in (_CORRUPT, _NOTADB)


def _nearly_full(path: Path) -> bool:
    try:
        usage = shutil.disk_usage(path.parent)
    except OSError:
        return False
    return usage.free < _NEARLY_FULL


def _disk_full(path: Path) -> DiskFull:
    return DiskFull(
        f"the disk holding the session database {path} is full; free some space, then try again"
    )


def store_error(error: sqlite3.Error, path: Path) -> StoreError:
    """The `StoreError` to raise for an SQLite `error` on the database at `path`."""
    code = _code(error)
    if code in (_BUSY, _LOCKED):
        return DatabaseLocked(
            f"the session database {path} is locked by another program (another ramify "
            "writing?); wait for it to finish, then try again"
        )
    if code == _FULL:
        return _disk_full(path)
    if code in (_READONLY, _PERM):
        return DatabaseReadOnly(
            f"the session database {path} cannot be written: the file or its folder is "
            "read-only; fix its permissions, or set RAMIFY_HOME to a writable folder"
        )
    if code == _CANTOPEN:
        return DatabaseCannotOpen(
            f"cannot open the session database {path}: its folder is missing or not "
            "writable; fix that, or set RAMIFY_HOME to a writable folder"
        )
    if is_damage(error):
        return CorruptDatabase(
            f"the session database {path} is damaged ({error}); keep a copy, then repair it "
            f"with `sqlite3 {path} .recover` or move it aside to start a new one"
        )
    if code == _IOERR and _nearly_full(path):
        # SQLite reports a failed write on a full disk as a plain I/O error.
        return _disk_full(path)
    if code == _IOERR:
        return DatabaseUnavailable(
            f"the disk failed while reading or writing the session database {path} ({error}); "
            "check the disk, then try again"
        )
    return DatabaseUnavailable(f"the session database {path} failed: {error}")
