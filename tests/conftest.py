"""Suite-wide guards: no network beyond loopback, no API keys, private data dirs."""

from __future__ import annotations

import socket

import pytest

# The private PostgreSQL server and a fresh database per test (tests/servers/postgres.py), for
# every test that runs over all the stores; the server starts only when a test asks for one.
pytest_plugins = ["tests.servers.postgres"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every test gets its own Ramify home and config, and no provider keys."""
    home = tmp_path_factory.mktemp("ramify-home")
    monkeypatch.setenv("RAMIFY_HOME", str(home))
    monkeypatch.setenv("RAMIFY_CONFIG", str(home / "config.toml"))
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(key, raising=False)


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
        raise ConnectionRefusedError(f"tests may not reach the network: {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
