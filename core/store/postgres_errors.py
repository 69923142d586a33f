"""PostgreSQL's errors, told apart at the store boundary: each becomes a `StoreError` whose one
line names the cause and what to do, and never the password.

The server is named as ``user@host:port/database`` (`display_dsn`); the password, wherever it
came from, is masked out of every message, including the server's own texts.
"""

from __future__ import annotations

import asyncio
from urllib.parse import unquote, urlsplit

from ..errors import DatabaseCannotOpen, DatabaseUnavailable, StoreError
from ..redact import MASK, redact_urls

__all__ = [
    "ConnectionLost",
    "DatabaseAccessDenied",
    "DatabaseMissing",
    "ServerUnreachable",
    "display_dsn",
    "is_connection_lost",
    "store_error",
]

INSTALL_HINT = 'PostgreSQL support is not installed: install it with pip install "ramify[postgres]"'


class ServerUnreachable(DatabaseUnavailable):
    """No PostgreSQL server answered at the address (down, wrong host or port, firewall)."""


class DatabaseAccessDenied(DatabaseCannotOpen):
    """The server refused the login, or the user lacks a right the store needs."""


class DatabaseMissing(DatabaseCannotOpen):
    """The server has no database of that name."""


class ConnectionLost(DatabaseUnavailable):
    """The connection broke during a step; that step was not saved."""


def display_dsn(dsn: str) -> str:
    """`dsn` as ``user@host:port/database``: enough to recognise, with no secret in it."""
    try:
        parts = urlsplit(dsn)
        user = unquote(parts.username or "")
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return redact_urls(dsn)
    database = parts.path.lstrip("/") or user or "postgres"
    return f"{user + '@' if user else ''}{host}{port}/{database}"


def _password(dsn: str) -> str | None:
    try:
        secret = urlsplit(dsn).password
    except ValueError:
        return None
    return unquote(secret) if secret else None


def _one_line(error: BaseException, dsn: str) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    secret = _password(dsn)
    if secret:
        text = text.replace(secret, MASK)
    return redact_urls(text)


def is_connection_lost(error: BaseException) -> bool:
    """Whether `error` says the connection (not the statement) failed."""
    import asyncpg

    if isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | ConnectionError,
    ):
        return True
    # asyncpg's own state errors ("another operation is in progress") come from a connection
    # the server dropped while a step was on its way: the connection is gone for the store.
    return isinstance(error, asyncpg.InterfaceError)


def store_error(
    error: BaseException, dsn: str, *, connecting: bool = False, lost: bool = False
) -> StoreError:
    """The `StoreError` to raise for `error` from the server named by `dsn`.

    `lost` says the connection is known to be closed now, whatever the error says.
    """
    import asyncpg

    where = display_dsn(dsn)
    user = where.partition("@")[0] if "@" in where else "the current user"
    reason = _one_line(error, dsn)
    if isinstance(error, StoreError):
        return error
    if isinstance(
        error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return DatabaseAccessDenied(
            f"the PostgreSQL server refused the login to {where} ({reason}); check the user, "
            "and give the password in PGPASSWORD or ~/.pgpass, not in the URL"
        )
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        database = where.rpartition("/")[2]
        return DatabaseMissing(
            f"the PostgreSQL server has no database {database!r} ({where}); create it with "
            f"`createdb {database}`, or name an existing one"
        )
    if isinstance(error, asyncpg.InsufficientPrivilegeError):
        return DatabaseAccessDenied(
            f"permission denied in the PostgreSQL database {where} ({reason}); grant {user} "
            "the right to create and write tables there, or use a user who has it"
        )
    if connecting and isinstance(error, OSError | asyncio.TimeoutError):
        return ServerUnreachable(
            f"cannot reach the PostgreSQL server for {where} ({reason}); check that it is "
            "running and that the host and port are right"
        )
    if lost or is_connection_lost(error):
        return ConnectionLost(
            f"the connection to the PostgreSQL server for {where} was lost ({reason}); "
            "that step was not saved; check the server, then try again"
        )
    if isinstance(error, asyncpg.TooManyConnectionsError | asyncpg.CannotConnectNowError):
        return DatabaseUnavailable(
            f"the PostgreSQL server for {where} takes no connections now ({reason}); "
            "try again later"
        )
    if isinstance(error, ValueError | asyncpg.ClientConfigurationError):
        return DatabaseCannotOpen(
            f"{where} is not a usable PostgreSQL URL ({reason}); write it as "
            "postgresql://user@host:port/database"
        )
    return DatabaseUnavailable(f"the PostgreSQL database {where} failed: {reason}")
