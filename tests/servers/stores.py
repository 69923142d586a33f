"""One store of each kind, for the fixtures that run a suite over every store."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core import MemoryStore, SQLiteStore, Store

__all__ = ["STORE_KINDS", "new_store"]

STORE_KINDS = ["memory", "sqlite", "postgres"]
"""Every kind of store; "postgres" needs the fixtures of tests/servers/postgres.py in scope."""


def new_store(kind: str, request: pytest.FixtureRequest, path: Path) -> Store:
    """An unopened store of `kind`: SQLite in the file `path`, PostgreSQL in a fresh database
    of the test's own on the private server."""
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(path)
    from ramify.core.store.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("postgres_dsn"))
