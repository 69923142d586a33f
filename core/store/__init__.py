"""Storage: the async `Store` interface and its in-memory and SQLite implementations."""

from .base import MIN_PREFIX, SessionRecord, SessionSummary, Store
from .location import default_database_path
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = [
    "MIN_PREFIX",
    "MemoryStore",
    "SQLiteStore",
    "SessionRecord",
    "SessionSummary",
    "Store",
    "default_database_path",
]
