"""The private PostgreSQL fixtures (tests/servers/postgres.py), for every core test that runs
over all the stores."""

from __future__ import annotations

from tests.servers.postgres import (
    empty_postgres_dsn,
    other_postgres_dsn,
    postgres_dsn,
    postgres_server,
)

__all__ = ["empty_postgres_dsn", "other_postgres_dsn", "postgres_dsn", "postgres_server"]
