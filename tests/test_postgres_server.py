"""The private PostgreSQL the tests start: skipped on a machine without it, failed in CI."""

from __future__ import annotations

import pytest

from ramify.core.testing.postgres_server import PostgresServer, ServerUnavailable
from tests.servers.postgres import server_unavailable


def test_without_a_server_tests_skip_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAMIFY_REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL tests skipped: no initdb"):
        server_unavailable("no initdb")


def test_without_a_server_tests_fail_when_servers_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAMIFY_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="cannot run: no initdb"):
        server_unavailable("no initdb")


def test_no_binaries_anywhere_is_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    with pytest.raises(ServerUnavailable, match="PostgreSQL is not installed"):
        PostgresServer().start()
