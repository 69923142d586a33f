"""Errors raised by the store and sessions; each message says what to do next."""

from __future__ import annotations

__all__ = [
    "AmbiguousPrefix",
    "BranchNotFound",
    "CorruptDatabase",
    "DatabaseCannotOpen",
    "DatabaseFileError",
    "DatabaseLocked",
    "DatabaseReadOnly",
    "DatabaseUnavailable",
    "DiskFull",
    "ForeignDatabase",
    "InvalidHashPrefix",
    "MessageNotFound",
    "MissingParent",
    "NodeNotFound",
    "NotFound",
    "NothingToUndo",
    "RefConflict",
    "RunNotFound",
    "SchemaTooNew",
    "SessionNotFound",
    "StoreError",
]


class StoreError(Exception):
    """Base of every error raised by a `Store` or a `Session`."""


class NotFound(StoreError, LookupError):
    """A record asked for by key does not exist."""


class NodeNotFound(NotFound):
    """No node has this hash or prefix."""


class MessageNotFound(NotFound):
    """No message has this hash or prefix."""


class SessionNotFound(NotFound):
    """No session has this id."""


class RunNotFound(NotFound):
    """No run has this id."""


class BranchNotFound(NotFound):
    """The session has no branch with this name."""


class InvalidHashPrefix(StoreError, ValueError):
    """A hash prefix is too short or not lowercase hex."""


class AmbiguousPrefix(StoreError, LookupError):
    """A short hash prefix matches more than one record."""

    def __init__(self, kind: str, prefix: str, count: int) -> None:
        super().__init__(
            f"{kind} prefix {prefix!r} is ambiguous: it matches {count} {kind}s; "
            "give more characters"
        )
        self.prefix = prefix
        self.count = count


class MissingParent(StoreError, ValueError):
    """A node refers to a parent (or forward source, or message) that is not stored."""


class RefConflict(StoreError):
    """A compare-and-swap on a branch head failed: someone moved it first."""


class NothingToUndo(StoreError):
    """The branch has no earlier head to go back to."""


class DatabaseFileError(StoreError):
    """A database file cannot be used; it has been left exactly as it was."""


class CorruptDatabase(DatabaseFileError):
    """The file is not a readable SQLite database."""


class ForeignDatabase(DatabaseFileError):
    """The file is an SQLite database, but not one Ramify wrote."""


class SchemaTooNew(DatabaseFileError):
    """The database was written by a newer Ramify with a schema this version cannot read."""


class DatabaseUnavailable(StoreError):
    """SQLite could not carry out a step on the database file; the step wrote nothing."""


class DatabaseLocked(DatabaseUnavailable):
    """Another program held the database's write lock for longer than Ramify waits."""


class DiskFull(DatabaseUnavailable):
    """The disk (or the database's size limit) is full."""


class DatabaseReadOnly(DatabaseUnavailable):
    """The database file, or its folder, cannot be written."""


class DatabaseCannotOpen(DatabaseUnavailable):
    """The database file cannot be opened or created (a missing or forbidden folder)."""
