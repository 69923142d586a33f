"""The `store` fixture: every store test runs against MemoryStore and a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import MemoryStore, SQLiteStore, Store


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each kind."""
    backend: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "t.db")
    async with backend:
        yield backend
