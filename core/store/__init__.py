"""Storage: the async `Store` interface and its in-memory and SQLite implementations;
`open_store` picks one by location, `copy_store` copies sessions between any two."""

from .base import MIN_PREFIX, SessionRecord, SessionSummary, Store
from .choice import StoreLocationError, open_store
from .copy import SessionCopy, copy_store
from .location import default_database_path
from .memory import MemoryStore
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
