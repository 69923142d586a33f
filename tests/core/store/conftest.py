"""The `store` fixture: every store test runs against MemoryStore, a real SQLite file and a
real PostgreSQL database (a private server; see tests/servers/postgres.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import MemoryStore, SQLiteStore, Store
from ramify.core.store.postgres import PostgresStore
from tests.servers.postgres import empty_postgres_dsn, postgres_dsn, postgres_server

__all__ = ["empty_postgres_dsn", "postgres_dsn", "postgres_server"]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each kind."""
    backend: Store
    if request.param == "memory":
        backend = MemoryStore()
    elif request.param == "sqlite":
        backend = SQLiteStore(tmp_path / "t.db")
    else:
        backend = PostgresStore(request.getfixturevalue("postgres_dsn"))
    async with backend:
        yield backend
