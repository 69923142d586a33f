"""SQLite's failures on real files become specific `StoreError`s whose one line names the
cause and what to do, and the connection stays usable afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import Session, SQLiteStore, UserMessage
from ramify.core.errors import (
    CorruptDatabase,
    DatabaseCannotOpen,
    DatabaseLocked,
    DatabaseReadOnly,
    DiskFull,
)

from .helpers import chain


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "errors.db") as opened:
        yield opened


async def _still_usable(store: SQLiteStore) -> None:
    assert not store._conn().in_transaction
    session = await Session.create(store)
    await session.append(UserMessage(text="after the failure"))


async def test_a_full_database_says_the_disk_is_full(store: SQLiteStore) -> None:
    await chain(store, ["some", "history"])
    pages = (await store._read("PRAGMA page_count"))[0][0]
    # SQLite reports SQLITE_FULL ("database or disk is full") when this cap is reached.
    await store._read(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(DiskFull, match=r"disk holding the session database .* is full"):
        await chain(store, ["x" * 20_000 + str(number) for number in range(20)])
    assert await store.count_nodes() == 2
    await store._read("PRAGMA max_page_count = 1073741823")
    await _still_usable(store)


async def test_a_database_that_cannot_be_written_says_so(store: SQLiteStore) -> None:
    await store._read("PRAGMA query_only = 1")
    with pytest.raises(DatabaseReadOnly, match=r"cannot be written: .* read-only"):
        await chain(store, ["refused"])
    await store._read("PRAGMA query_only = 0")
    await _still_usable(store)


async def test_a_database_locked_by_another_writer_says_so(store: SQLiteStore) -> None:
    await store._read("PRAGMA busy_timeout = 0")
    other = sqlite3.connect(store.file_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseLocked, match="locked by another program"):
            await chain(store, ["waits"])
        other.execute("ROLLBACK")
    finally:
        other.close()
    await _still_usable(store)


async def test_a_folder_where_no_file_can_be_made_says_it_cannot_open() -> None:
    # /proc takes no new files, even from root.
    with pytest.raises(DatabaseCannotOpen, match="cannot open the session database"):
        await SQLiteStore("/proc/self/ramify.sqlite3").open()


async def test_damaged_pages_read_as_a_damaged_database(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    async with SQLiteStore(path) as store:
        nodes = await chain(store, [f"message {number} " + "y" * 500 for number in range(400)])
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 3)
        file.write(b"\xff" * (size // 3))
    async with SQLiteStore(path) as store:
        with pytest.raises(CorruptDatabase, match=r"is damaged \(.*malformed.*\); keep a copy"):
            await store.path(nodes[-1].hash_key)
