"""The connection half of `SQLiteStore`: opening, checking, and serialised transactions."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import StoreError
from .base import Store
from .location import resolve_database_path
from .schema import check_header, prepare
from .sqlite_errors import store_error

if TYPE_CHECKING:
    import aiosqlite

__all__ = ["SQLiteConnection"]

_T = TypeVar("_T")


class SQLiteConnection(Store):
    """Owns the aiosqlite connection of an `SQLiteStore`; see there."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path_arg = path
        self._path: Path | None = None
        self._db: aiosqlite.Connection | None = None
        # One connection serves every task; the lock keeps their transactions apart.
        self._lock = asyncio.Lock()

    @property
    def file_path(self) -> Path:
        """The database file (known once the store is open)."""
        if self._path is None:
            return resolve_database_path(self._path_arg)
        return self._path

    async def open(self) -> None:
        import aiosqlite

        path = resolve_database_path(self._path_arg)
        check_header(path)
        try:
            # Tried here first: when aiosqlite fails to open a file, its thread outlives the
            # failure and later reports into a closed event loop (a traceback at exit).
            sqlite3.connect(path).close()
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise store_error(error, path) from error
        try:
            await prepare(db, path)
        except BaseException:
            await db.close()
            raise
        self._path = path
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError("the store is not open: use `async with SQLiteStore(...) as store`")
        return self._db

    async def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        db = self._conn()
        async with self._lock:
            try:
                return list(await db.execute_fetchall(sql, args))
            except sqlite3.Error as error:
                raise store_error(error, self.file_path) from error

    async def _write(self, body: Callable[[aiosqlite.Connection], Awaitable[_T]]) -> _T:
        """Run `body` in one write transaction: all of it is committed, or none of it.

        A cancel can land while BEGIN, a statement of `body` or COMMIT is running in
        aiosqlite's thread, which finishes the statement anyway. Whatever was reached, the
        transaction is ended before the lock is released, so the shared connection never
        stays inside a transaction holding the file's write lock.
        """
        db = self._conn()
        async with self._lock:
            try:
                await db.execute("BEGIN IMMEDIATE")
                result = await body(db)
                await db.execute("COMMIT")
            except BaseException as error:
                if await _end_transaction(db) and not isinstance(error, asyncio.CancelledError):
                    raise asyncio.CancelledError from error
                if isinstance(error, sqlite3.Error):
                    raise store_error(error, self.file_path) from error
                raise
            return result

    async def _write_in_one_hop(
        self, bodies: Sequence[Callable[[aiosqlite.Connection], Awaitable[Any]]]
    ) -> None:
        """Run `bodies` in one write transaction, as one trip to aiosqlite's thread.

        `_write` pays a thread hop per statement (~50 us each on a busy machine, a dozen for
        a batch of nodes and runs); here BEGIN, the bodies' statements and COMMIT run in the
        thread back to back. The bodies are the same coroutines `_write` runs, driven in the
        thread over `_InThread`, whose methods never suspend. aiosqlite has no public "run
        this in your thread", so its `_execute` is used where it exists, `_write` otherwise.
        A cancel waits for the thread to end the transaction (committed or rolled back
        whole) before it is raised, so the lock is never released inside a transaction.
        """
        db = self._conn()
        execute = getattr(db, "_execute", None)
        if execute is None:  # pragma: no cover - an aiosqlite without the private helper

            async def body(db: aiosqlite.Connection) -> None:
                for part in bodies:
                    await part(db)

            await self._write(body)
            return

        def transaction() -> None:
            conn: sqlite3.Connection = db._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                adapter = cast("aiosqlite.Connection", _InThread(conn))
                for part in bodies:
                    _finish(part(adapter))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        async with self._lock:
            try:
                # Awaited directly: a task and a shield around it cost two more loop turns.
                await execute(transaction)
            except asyncio.CancelledError:
                # The thread ends the transaction anyway; the lock waits for that.
                await _queued_ahead_done(execute)
                raise
            except sqlite3.Error as error:
                raise store_error(error, self.file_path) from error


class _InThread:
    """The part of `aiosqlite.Connection` the transaction bodies use, over the plain
    connection, for running them in aiosqlite's thread: nothing here ever suspends."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, args)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, rows)

    async def execute_fetchall(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, args).fetchall()


def _finish(step: Awaitable[Any]) -> Any:
    """Run a coroutine that never suspends to its end, synchronously; its value."""
    coroutine = cast("Coroutine[Any, Any, Any]", step)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a transaction body suspended in aiosqlite's thread")


async def _queued_ahead_done(execute: Callable[..., Awaitable[Any]]) -> None:
    """Wait, through further cancels, until what is queued for aiosqlite's thread has run
    (its queue runs in order, so a no-op queued now runs after it)."""
    done = asyncio.ensure_future(execute(lambda: None))
    while not done.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(done)


async def _end_transaction(db: aiosqlite.Connection) -> bool:
    """Roll back whatever transaction is open on `db`, even through further cancels.

    Returns whether a cancel arrived meanwhile (the caller re-raises it).
    """
    rollback = asyncio.ensure_future(_roll_back_if_open(db))
    cancelled = False
    while not rollback.done():
        try:
            await asyncio.shield(rollback)
        except asyncio.CancelledError:
            cancelled = True
    rollback.result()
    return cancelled


async def _roll_back_if_open(db: aiosqlite.Connection) -> None:
    # Statements are queued in order, so this runs after the interrupted one finished.
    try:
        await db.execute("ROLLBACK")
    except sqlite3.OperationalError:
        # BEGIN never reached the thread, or COMMIT did: there is nothing to roll back.
        if db.in_transaction:
            raise
