"""A private `nats-server -js` for tests: a free loopback port and a temporary store folder.

`RAMIFY_TEST_NATS=nats://...` uses that server instead (it is never stopped or restarted).
Without the binary the tests skip with the reason, unless `RAMIFY_REQUIRE_SERVERS=1` (CI),
where they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT = 10.0


def _unavailable(reason: str) -> None:
    if os.environ.get("RAMIFY_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{reason} (RAMIFY_REQUIRE_SERVERS=1: server tests must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class NatsServer:
    """One nats-server process (JetStream on unless told); `restart()` brings it back on the
    same port and store."""

    def __init__(self, store: Path, port: int | None = None, *, jetstream: bool = True) -> None:
        self.store = store
        self.jetstream = jetstream
        self.port = port or _free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            _unavailable("nats-server is not installed (Debian: apt-get install nats-server)")
        assert binary is not None
        log = (self.store / "server.log").open("ab")
        js = ["-js", "-sd", str(self.store)] if self.jetstream else []
        self.process = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", str(self.port), *js],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"nats-server exited at start; see {self.store / 'server.log'}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        pytest.fail(f"nats-server did not listen on port {self.port} within {START_TIMEOUT} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class ExternalNats:
    """A server named by RAMIFY_TEST_NATS: used as it is, never stopped."""

    def __init__(self, url: str) -> None:
        self.url = url

    def restart(self) -> None:
        pytest.skip("RAMIFY_TEST_NATS names an outside server, which tests do not restart")


@pytest.fixture
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer | ExternalNats]:
    """A running JetStream-enabled NATS server for one test."""
    external = os.environ.get("RAMIFY_TEST_NATS")
    if external:
        yield ExternalNats(external)
        return
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
