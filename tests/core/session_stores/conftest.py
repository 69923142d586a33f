"""Stores for the session-level tests: each test runs once per kind in `STORE_KINDS`.

Adding a store is one more name in `STORE_KINDS` and one more branch in `opened_store`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from ramify.core import MemoryStore, SQLiteStore, Store

STORE_KINDS = ["memory", "sqlite"]


@asynccontextmanager
async def opened_store(kind: str, folder: Path, name: str = "store") -> AsyncIterator[Store]:
    """An open, empty store of `kind`; `name` tells apart several of one kind in a test."""
    store: Store
    if kind == "memory":
        store = MemoryStore()
    elif kind == "sqlite":
        store = SQLiteStore(folder / f"{name}.sqlite3")
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
