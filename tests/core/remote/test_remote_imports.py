"""nats-py is imported only when a remote agent is used; the server fixture's CI rule."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.servers import nats as nats_fixture


def test_importing_the_remote_layer_does_not_import_nats() -> None:
    code = (
        "import sys, ramify.core, ramify.core.remote as r;"
        "r.remote_agent('X', nats='nats://127.0.0.1:9');"
        "print(any(name == 'nats' or name.startswith('nats.') for name in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_missing_server_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAMIFY_REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="nats-server is not installed"):
        nats_fixture._unavailable("nats-server is not installed")


def test_a_missing_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMIFY_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="RAMIFY_REQUIRE_SERVERS=1"):
        nats_fixture._unavailable("nats-server is not installed")
