"""The `store` fixture: every store test runs against MemoryStore, a real SQLite file and a
real PostgreSQL database (a private server; see tests/servers/postgres.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import Store
from tests.servers.stores import STORE_KINDS, new_store


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each kind."""
    async with new_store(request.param, request, tmp_path / "t.db") as backend:
        yield backend
