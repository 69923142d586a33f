"""Fixtures of the session file tests: real SQLite and PostgreSQL stores, and the example
sessions."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest

from ramify.core import SQLiteStore, Store

ROOT = Path(__file__).resolve().parents[3]
SESSIONS = ROOT / "sessions"


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store the test's `store` and `other_store` are."""
    return str(request.param)


def _store(kind: str, request: pytest.FixtureRequest, path: Path, dsn_fixture: str) -> Store:
    if kind == "sqlite":
        return SQLiteStore(path)
    from ramify.core.store.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue(dsn_fixture))


@pytest.fixture
async def store(
    store_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Store]:
    """An open, empty store: an SQLite file, or a PostgreSQL database of the test's own."""
    async with _store(store_kind, request, tmp_path / "sessions.db", "postgres_dsn") as opened:
        yield opened


@pytest.fixture
async def other_store(
    store_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Store]:
    """A second, independent store of the same kind (where imports land)."""
    async with _store(
        store_kind, request, tmp_path / "imported.db", "other_postgres_dsn"
    ) as opened:
        yield opened


def examples() -> ModuleType:
    """`sessions/generate.py`, loaded once under a fixed module name."""
    name = "ramify_example_sessions"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, SESSIONS / "generate.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
