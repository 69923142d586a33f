"""The connection half of `PostgresStore`: connecting, checking, transactions, change counter.

One connection serves the store's statements (a lock keeps tasks' transactions apart, as in the
SQLite store), and a second one only LISTENs, so `data_version` sees other writers' commits.
A connection that broke (server restart, ``pg_terminate_backend``) fails the step it was
running with `ConnectionLost`, and the next step connects again: nothing is retried on its own,
since a write whose commit may have landed must not be applied twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import StoreError
from .base import Store
from .postgres_errors import INSTALL_HINT, display_dsn, is_connection_lost, store_error
from .postgres_schema import prepare

if TYPE_CHECKING:
    import asyncpg

__all__ = ["CHANGES_CHANNEL", "PostgresConnection"]

_T = TypeVar("_T")

CHANGES_CHANNEL = "ramify_changes"
"""Every write transaction notifies this channel; the notification is sent on commit."""

_NOTIFY = f"SELECT pg_notify('{CHANGES_CHANNEL}', '')"
_CONNECT_SECONDS = 10.0
# JIT off: the store's queries are short lookups, and on the row estimates of a freshly
# bulk-loaded table the planner compiled a 20 ms search for 600 ms.
_SETTINGS = {"application_name": "ramify", "jit": "off"}


async def _connect(dsn: str) -> asyncpg.Connection:
    try:
        import asyncpg
    except ImportError:
        raise StoreError(INSTALL_HINT) from None
    return await asyncpg.connect(dsn, timeout=_CONNECT_SECONDS, server_settings=_SETTINGS)


class PostgresConnection(Store):
    """Owns the asyncpg connections of a `PostgresStore`; see there."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._db: asyncpg.Connection | None = None
        self._listener: asyncpg.Connection | None = None
        self._opened = False
        self._lock = asyncio.Lock()
        self._listen_lock = asyncio.Lock()
        self._changes = 0
        self._own_pid: int | None = None

    @property
    def where(self) -> str:
        """The database as ``user@host:port/database`` (never with the password)."""
        return display_dsn(self._dsn)

    async def open(self) -> None:
        db = await self._connect()
        try:
            await prepare(db, self.where)
        except BaseException as error:
            db.terminate()
            if isinstance(error, Exception):
                raise store_error(error, self._dsn) from None
            raise
        self._db = db
        self._own_pid = db.get_server_pid()
        self._opened = True
        try:
            await self._listen()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        self._opened = False
        for db in (self._listener, self._db):
            if db is not None and not db.is_closed():
                try:
                    await asyncio.wait_for(db.close(), _CONNECT_SECONDS)
                except Exception:
                    db.terminate()
        self._db = self._listener = None

    async def _connect(self) -> asyncpg.Connection:
        try:
            db = await _connect(self._dsn)
        except StoreError:
            raise
        except Exception as error:
            raise store_error(error, self._dsn, connecting=True) from None
        return db

    async def _listen(self) -> None:
        listener = await self._connect()
        try:
            await listener.add_listener(CHANGES_CHANNEL, self._on_change)
        except BaseException as error:
            listener.terminate()
            if isinstance(error, Exception):
                raise store_error(error, self._dsn) from None
            raise
        self._listener = listener

    def _on_change(self, _db: object, pid: int, _channel: str, _payload: object) -> None:
        # Own commits are not "another writer", as with SQLite's data_version.
        if pid != self._own_pid:
            self._changes += 1

    async def _conn(self) -> asyncpg.Connection:
        """The statement connection, connecting again if the last one broke."""
        if not self._opened:
            raise StoreError("the store is not open: use `async with PostgresStore(...) as store`")
        db = self._db
        if db is None or db.is_closed():
            self._db = None
            db = await self._connect()
            self._db = db
            self._own_pid = db.get_server_pid()
        return db

    async def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        async with self._lock:
            db = await self._conn()
            try:
                return list(await db.fetch(sql, *args))
            except asyncio.CancelledError:
                # The statement may still be running: drop the connection rather than wait.
                db.terminate()
                raise
            except Exception as error:
                raise _failed(db, error, self._dsn) from None

    async def _write(self, body: Callable[[asyncpg.Connection], Awaitable[_T]]) -> _T:
        """Run `body` in one transaction, and notify listeners when it commits.

        On a cancel the connection is dropped, which makes the server roll back whatever was
        not committed; the next step connects again.
        """
        async with self._lock:
            db = await self._conn()
            transaction = db.transaction()
            try:
                await transaction.start()
                result = await body(db)
                await db.execute(_NOTIFY)
                await transaction.commit()
            except asyncio.CancelledError:
                db.terminate()
                raise
            except BaseException as error:
                await _roll_back(db, transaction)
                if isinstance(error, Exception) and not isinstance(error, StoreError):
                    raise _failed(db, error, self._dsn) from None
                raise
            return result

    async def data_version(self) -> int | None:
        async with self._listen_lock:
            if not self._opened:
                raise StoreError(
                    "the store is not open: use `async with PostgresStore(...) as store`"
                )
            listener = self._listener
            if listener is None or listener.is_closed():
                # Notifications sent while it was gone are lost: count that as a change.
                self._listener = None
                self._changes += 1
                await self._listen()
                return self._changes
            try:
                # The server sends a notification before it answers the next query, so any
                # commit that finished before this call has been counted when it returns.
                await listener.execute("SELECT 1")
            except asyncio.CancelledError:
                listener.terminate()
                raise
            except Exception as error:
                listener.terminate()
                raise store_error(error, self._dsn) from None
            return self._changes


def _failed(db: asyncpg.Connection, error: Exception, dsn: str) -> StoreError:
    """The error to raise for a failed step; a connection in doubt is dropped, so the next
    step starts on a new one."""
    lost = is_connection_lost(error) or db.is_closed()
    if lost:
        db.terminate()
    return store_error(error, dsn, lost=lost)


async def _roll_back(db: asyncpg.Connection, transaction: Any) -> None:
    if db.is_closed():
        return
    try:
        await transaction.rollback()
    except Exception:
        # A connection that cannot even roll back is dropped; the server rolls back for it.
        db.terminate()
