"""Fixtures of the session file tests: real SQLite stores and the example sessions."""

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


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty SQLite store in a real file."""
    async with SQLiteStore(tmp_path / "sessions.db") as opened:
        yield opened


@pytest.fixture
async def other_store(tmp_path: Path) -> AsyncIterator[Store]:
    """A second, independent SQLite store (where imports land)."""
    async with SQLiteStore(tmp_path / "imported.db") as opened:
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
