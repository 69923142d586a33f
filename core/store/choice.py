"""Choosing a store: a location (a file path or a URL) to an unopened `Store`.

``None`` is the default SQLite database (`default_database_path`); a path or
``sqlite:///absolute/path`` is a `SQLiteStore`; ``postgresql://`` (or ``postgres://``) is a
`PostgresStore`, imported only then, since it needs the ``postgres`` extra. Where several
places name a store, `choose_store_location` applies the precedence: the ``--store`` flag,
then ``RAMIFY_STORE``, then ``store = "..."`` in the config, then the default.

A location is shown only through `describe_store`, which masks a URL's password: a store URL
may carry one, and the command line, the config and a URL's display all leak it. It is still
accepted (`password_warning` says to move it to ``PGPASSWORD`` or ``~/.pgpass``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import StoreError
from ..redact import redact_url

if TYPE_CHECKING:
    from .base import Store

__all__ = [
    "POSTGRES_EXTRA_HINT",
    "STORE_ENV",
    "StoreLocationError",
    "choose_store_location",
    "describe_store",
    "open_store",
    "password_warning",
]

STORE_ENV = "RAMIFY_STORE"
"""The environment variable naming the store when no ``--store`` flag is given."""

POSTGRES_EXTRA_HINT = 'PostgreSQL needs the postgres extra: pip install "ramify[postgres]"'

_POSTGRES_SCHEMES = ("postgresql", "postgres")
# A scheme followed by "://"; a one-letter "scheme" would be a Windows drive (C:\...).
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]+)://")


class StoreLocationError(StoreError):
    """A store location that names no usable store; the message says what to give instead."""


def choose_store_location(
    flag: str | None, configured: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The store to use: `flag`, else ``RAMIFY_STORE``, else `configured`, else None (the
    default SQLite database). Empty values count as not given."""
    env = (os.environ if environ is None else environ).get(STORE_ENV)
    for location in (flag, env, configured):
        if location:
            return location
    return None


def describe_store(location: str | os.PathLike[str] | None) -> str:
    """How a store location is shown to people: a URL with its password masked."""
    if location is None:
        from .location import default_database_path

        return str(default_database_path())
    text = os.fspath(location)
    # Only a URL with user info, a query or a fragment can hold a secret; any other is shown
    # as written (`redact_url` would turn sqlite:///path into sqlite:/path).
    if _URL.match(text) and any(mark in text for mark in "@?#"):
        return redact_url(text)
    return text


def password_warning(location: str | os.PathLike[str] | None) -> str | None:
    """One line asking to move a password out of a store URL, or None when there is none."""
    if location is None:
        return None
    text = os.fspath(location)
    if not _URL.match(text):
        return None
    try:
        password = urlsplit(text).password
    except ValueError:
        return None
    if not password:
        return None
    return (
        f"the store URL {describe_store(text)} holds a password; it is used, but put it in "
        "PGPASSWORD or ~/.pgpass instead (a password on the command line or in the config "
        "can be read by others)"
    )


def open_store(location: str | os.PathLike[str] | None) -> Store:
    """The store at `location`, not yet opened (use ``async with open_store(...) as store``).

    Raises `StoreLocationError` (one line, password masked) for an unknown scheme, a URL that
    does not parse, a missing folder for an explicit SQLite file, or PostgreSQL without its
    extra installed.
    """
    from .sqlite import SQLiteStore

    if location is None:
        return SQLiteStore(None)
    text = os.fspath(location)
    if not text.strip():
        raise StoreLocationError("the store location is empty: give a file path or a URL")
    match = _URL.match(text)
    if match is None:
        return SQLiteStore(_explicit_file(Path(text).expanduser()))
    scheme = match.group(1).lower()
    if scheme == "sqlite":
        path = text[match.end() :]
        if not path:
            raise StoreLocationError(
                f"{describe_store(text)} names no file: write sqlite:///absolute/path.sqlite3"
            )
        return SQLiteStore(_explicit_file(Path(path).expanduser()))
    if scheme in _POSTGRES_SCHEMES:
        _check_url(text)
        return _postgres_store(text)
    raise StoreLocationError(
        f"unknown store scheme {scheme!r} in {describe_store(text)}: give a file path, "
        "sqlite:///PATH or postgresql://USER@HOST/DATABASE"
    )


def _explicit_file(path: Path) -> Path:
    # The default database's folder is made on first use; a folder the user named and got
    # wrong is more likely a typo than a wish, so it is reported instead of created.
    if path.is_dir():
        raise StoreLocationError(
            f"the store {path} is a folder: name a database file in it, e.g. "
            f"{path / 'ramify.sqlite3'}"
        )
    if not path.parent.is_dir():
        raise StoreLocationError(
            f"the folder of the store {path} does not exist: create {path.parent} first, "
            "or name a file in an existing folder"
        )
    return path


def _check_url(text: str) -> None:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsing the port is what validates it
    except ValueError as error:
        raise StoreLocationError(
            f"the store URL {describe_store(text)} is malformed ({error}): write "
            "postgresql://USER@HOST:PORT/DATABASE"
        ) from None
    if not parts.hostname and not parts.path.strip("/") and not parts.query:
        raise StoreLocationError(
            f"the store URL {describe_store(text)} names no server or database: write "
            "postgresql://USER@HOST:PORT/DATABASE"
        )


def _postgres_store(dsn: str) -> Store:
    # The store module imports asyncpg only when it connects: look for both now, so a missing
    # extra is told before anything starts.
    if find_spec("asyncpg") is None:
        raise StoreLocationError(POSTGRES_EXTRA_HINT)
    try:
        from .postgres import PostgresStore  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise StoreLocationError(POSTGRES_EXTRA_HINT) from None
    store: Store = PostgresStore(dsn)
    return store
