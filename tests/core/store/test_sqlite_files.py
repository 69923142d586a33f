"""SQLite files: location, persistence, and refusing damaged or foreign files untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ramify.core import (
    CorruptDatabase,
    ForeignDatabase,
    SchemaTooNew,
    SQLiteStore,
    StoreError,
    default_database_path,
)
from ramify.core.store.schema import APPLICATION_ID, SCHEMA_VERSION

from .helpers import chain


def test_default_path_is_under_ramify_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAMIFY_HOME", str(tmp_path / "home"))
    assert default_database_path() == tmp_path / "home" / "ramify.sqlite3"


def test_default_path_falls_back_to_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAMIFY_HOME")
    from platformdirs import user_data_path

    assert default_database_path().parent == user_data_path("ramify", appauthor=False)


async def test_default_store_creates_its_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "deep" / "er"
    monkeypatch.setenv("RAMIFY_HOME", str(home))
    async with SQLiteStore() as store:
        assert store.file_path == home / "ramify.sqlite3"
    assert (home / "ramify.sqlite3").exists()


async def test_explicit_path_wins_over_ramify_home(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "x" / "mine.db") as store:
        assert store.file_path == tmp_path / "x" / "mine.db"


async def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "keep.db"
    async with SQLiteStore(path) as store:
        nodes = await chain(store, ["one", "two", "three"])
    async with SQLiteStore(path) as store:
        assert [n.hash_key for n in await store.path(nodes[-1].hash_key)] == [
            n.hash_key for n in nodes
        ]
        assert [n.hash_key for n in await store.search("two")] == [nodes[1].hash_key]


async def test_new_file_is_marked_ours_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with SQLiteStore(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_unopened_store_says_how_to_open_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not open"):
        await SQLiteStore(tmp_path / "n.db").count_nodes()


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers VALUES (1, 'Ada')")
    db.close()


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.execute("CREATE TABLE future (x)")
    db.close()


def _other_app(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 12345")
    db.close()


def _not_sqlite(path: Path) -> None:
    path.write_text("# my notes\nthese are precious and not a database\n")


def _damaged(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)


async def _ramify_then_truncated(path: Path) -> None:
    async with SQLiteStore(path) as store:
        await chain(store, ["a", "b"])
    data = path.read_bytes()
    path.write_bytes(data[:16] + b"\xff" * 84 + data[100:200])


@pytest.mark.parametrize(
    ("make", "error", "hint"),
    [
        (_foreign, ForeignDatabase, "did not create"),
        (_other_app, ForeignDatabase, "did not create"),
        (_newer, SchemaTooNew, "Upgrade Ramify"),
        (_not_sqlite, CorruptDatabase, "not an SQLite database"),
        (_damaged, CorruptDatabase, "left untouched"),
    ],
)
async def test_unusable_file_gives_clear_error_and_is_not_modified(
    tmp_path: Path, make: object, error: type[Exception], hint: str
) -> None:
    path = tmp_path / "file.db"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    with pytest.raises(error, match=hint) as caught:
        await SQLiteStore(path).open()
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == before
    assert not (tmp_path / "file.db-wal").exists()


async def test_truncated_ramify_file_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "cut.db"
    await _ramify_then_truncated(path)
    before = path.read_bytes()
    with pytest.raises(CorruptDatabase):
        await SQLiteStore(path).open()
    assert path.read_bytes() == before


async def test_empty_file_becomes_a_fresh_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    async with SQLiteStore(path) as store:
        assert await store.count_nodes() == 0
