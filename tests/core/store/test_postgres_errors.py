"""How PostgreSQL's errors read: the server named without its password, one line each."""

from __future__ import annotations

import asyncpg
import pytest

from ramify.core.store.postgres_errors import (
    ConnectionLost,
    DatabaseAccessDenied,
    display_dsn,
    store_error,
)


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://alice:s3cr%40t@db.example:6543/team", "alice@db.example:6543/team"),
        ("postgresql://bob@localhost/ramify", "bob@localhost/ramify"),
        ("postgres://db.example", "db.example/postgres"),
    ],
)
def test_a_server_is_named_without_its_password(dsn: str, shown: str) -> None:
    assert display_dsn(dsn) == shown


def test_the_password_is_masked_out_of_the_servers_own_text() -> None:
    dsn = "postgresql://alice:hunter2@db.example/team"
    error = store_error(asyncpg.InvalidPasswordError("bad password hunter2\nsecond line"), dsn)
    assert isinstance(error, DatabaseAccessDenied)
    assert "hunter2" not in str(error)
    assert "\n" not in str(error)
    assert "alice@db.example/team" in str(error)


def test_a_broken_connection_reads_as_lost() -> None:
    error = store_error(ConnectionResetError("reset by peer"), "postgresql://a@h/d")
    assert isinstance(error, ConnectionLost)
    assert str(error).startswith("the connection to the PostgreSQL server for a@h/d was lost")
