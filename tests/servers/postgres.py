"""A private PostgreSQL for the test session, and a fresh database for each test.

The server comes from `ramify.core.testing.postgres_server` (``initdb`` + ``pg_ctl`` on a
temporary folder, a free loopback port), or is the one named by ``RAMIFY_TEST_POSTGRES``
(a DSN whose user may create databases). Each test gets its own database, copied from a
template the store already migrated, so tests are isolated and opening is cheap.

Without PostgreSQL (or asyncpg) the tests that need it skip, saying why; with
``RAMIFY_REQUIRE_SERVERS=1`` (CI) they fail instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from ramify.core.testing.postgres_server import PostgresServer, ServerUnavailable

__all__ = [
    "PostgresTarget",
    "empty_postgres_dsn",
    "other_postgres_dsn",
    "postgres_databases",
    "postgres_dsn",
    "postgres_server",
]

# Per process, so two test runs on one named server do not share (or drop) each other's.
_TEMPLATE = f"ramify_template_{os.getpid()}"
_counter = itertools.count()


@dataclass
class PostgresTarget:
    """Where the tests' server is: an admin DSN, and how to name a database on it."""

    admin_dsn: str
    server: PostgresServer | None = None

    def dsn(self, database: str) -> str:
        """`admin_dsn` pointed at `database`."""
        parts = urlsplit(self.admin_dsn)
        return urlunsplit(parts._replace(path="/" + database))


def _run(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to the end on a loop of its own: fixtures here may be set up from inside a
    test's running loop."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(work)
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def server_unavailable(reason: str) -> None:
    if os.environ.get("RAMIFY_REQUIRE_SERVERS") == "1":
        pytest.fail(f"PostgreSQL tests cannot run: {reason} (RAMIFY_REQUIRE_SERVERS=1)")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


async def _admin(target: PostgresTarget, *statements: str) -> None:
    import asyncpg

    db = await asyncpg.connect(target.admin_dsn, timeout=30)
    try:
        for statement in statements:
            await db.execute(statement)
    finally:
        await db.close()


async def _make_template(target: PostgresTarget) -> None:
    from ramify.core.store.postgres import PostgresStore

    await _admin(
        target,
        f"DROP DATABASE IF EXISTS {_TEMPLATE}",
        f"CREATE DATABASE {_TEMPLATE} TEMPLATE template0",
    )
    async with PostgresStore(target.dsn(_TEMPLATE)):
        pass


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresTarget]:
    """The tests' PostgreSQL, with a migrated template database."""
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        server_unavailable('asyncpg is not installed (pip install -e ".[test]")')
    named = os.environ.get("RAMIFY_TEST_POSTGRES")
    server = None
    if named:
        target = PostgresTarget(named)
    else:
        server = PostgresServer()
        try:
            server.start()
        except ServerUnavailable as error:
            server_unavailable(str(error))
        target = PostgresTarget(server.dsn(), server)
    try:
        _run(_make_template(target))
        yield target
    finally:
        if server is not None:
            server.stop()
        else:
            _run(_admin(target, f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)"))


def _fresh(target: PostgresTarget, template: str) -> Iterator[str]:
    name = f"t{os.getpid()}_{next(_counter)}"
    _run(_admin(target, f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield target.dsn(name)
    finally:
        _run(_admin(target, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def postgres_databases(postgres_server: PostgresTarget) -> Iterator[Callable[[], str]]:
    """Makes as many fresh databases (with Ramify's schema) as a test asks for; all are
    dropped when it ends."""
    made: list[Iterator[str]] = []

    def make() -> str:
        database = _fresh(postgres_server, _TEMPLATE)
        made.append(database)
        return next(database)

    yield make
    for database in made:
        database.close()  # runs the generator's `finally`: the database is dropped


@pytest.fixture
def postgres_dsn(postgres_server: PostgresTarget) -> Iterator[str]:
    """A DSN of a new database of this test's own, with Ramify's schema in place."""
    yield from _fresh(postgres_server, _TEMPLATE)


@pytest.fixture
def other_postgres_dsn(postgres_server: PostgresTarget) -> Iterator[str]:
    """A second database like `postgres_dsn`, for a test that needs two stores."""
    yield from _fresh(postgres_server, _TEMPLATE)


@pytest.fixture
def empty_postgres_dsn(postgres_server: PostgresTarget) -> Iterator[str]:
    """A DSN of a new, empty database of this test's own (no Ramify schema)."""
    yield from _fresh(postgres_server, "template0")
