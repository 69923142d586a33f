"""Real `ramify worker` processes for the remote-agent tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

AGENTS = Path(__file__).with_name("remote_agents.py")
READY_TIMEOUT = 30.0


class WorkerProcess:
    """A started worker: its process and the id it announced."""

    def __init__(self, process: subprocess.Popen[str], worker_id: str) -> None:
        self.process = process
        self.worker_id = worker_id

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_worker(
    url: str, *names: str, env: dict[str, str] | None = None, file: Path = AGENTS
) -> WorkerProcess:
    """Start `ramify worker` serving `names` from `file` (remote_agents.py); return once ready."""
    specs = [f"{file}:{name}" for name in names]
    process = subprocess.Popen(
        [sys.executable, "-m", "ramify.tui.cli", "worker", "--nats", url, *specs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    # readline blocks until the worker prints its ready line or exits (the timeout bounds it).
    line = process.stdout.readline()
    if "ready" not in line:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"worker did not start: {line!r} {err!r}")
    return WorkerProcess(process, line.split()[1])


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    """Collects started workers and stops them after the test."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()
