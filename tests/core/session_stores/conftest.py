"""Stores for the session-level tests: each test runs once per kind in `STORE_KINDS`.

Adding a store is one more name in `STORE_KINDS` and one more branch in `opened_store`.
PostgreSQL runs on the private test server (tests/servers/postgres.py): each store a test opens
is a fresh database of its own, so a copy between two PostgreSQL stores is a copy between two
databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from ramify.core import MemoryStore, SQLiteStore, Store

STORE_KINDS = ["memory", "sqlite", "postgres"]

# The running test's request: `opened_store` asks it for a PostgreSQL database only when a test
# opens one, so memory and SQLite tests never start the server.
_current_request: pytest.FixtureRequest | None = None


@pytest.fixture(autouse=True)
def _remember_request(request: pytest.FixtureRequest) -> Iterator[None]:
    global _current_request
    _current_request = request
    yield
    _current_request = None


@asynccontextmanager
async def opened_store(kind: str, folder: Path, name: str = "store") -> AsyncIterator[Store]:
    """An open, empty store of `kind`; `name` tells apart several of one kind in a test."""
    store: Store
    if kind == "memory":
        store = MemoryStore()
    elif kind == "sqlite":
        store = SQLiteStore(folder / f"{name}.sqlite3")
    elif kind == "postgres":
        from ramify.core.store.postgres import PostgresStore

        assert _current_request is not None, "opened_store('postgres') runs inside a test"
        store = PostgresStore(_current_request.getfixturevalue("postgres_databases")())
    else:
        raise ValueError(f"unknown store kind {kind!r}")
    async with store:
        yield store


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each name in `STORE_KINDS`."""
    kind: str = request.param
    return kind


@pytest.fixture
async def store(store_kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each kind."""
    async with opened_store(store_kind, tmp_path) as opened:
        yield opened
