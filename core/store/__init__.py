"""Storage: the async `Store` interface and its in-memory and SQLite implementations;
`open_store` picks one by location, `copy_store` copies sessions between any two."""

from .base import MIN_PREFIX, SessionRecord, SessionSummary, Store
from .copy import SessionCopy, copy_store
from .location import default_database_path
from .memory import MemoryStore
from .open_store import StoreLocationError, open_store
from .sqlite import SQLiteStore

__all__ = [
    "MIN_PREFIX",
    "MemoryStore",
    "SQLiteStore",
    "SessionCopy",
    "SessionRecord",
    "SessionSummary",
    "Store",
    "StoreLocationError",
    "copy_store",
    "default_database_path",
    "open_store",
]
