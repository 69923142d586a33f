"""The real IDE with an agent the config makes remote: it streams from a worker process, the
pane names the worker, and an IDE killed mid-run takes in the finished reply when reopened."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from ramify.core.remote import list_workers
from tests.core.remote.workers import AGENTS, WorkerProcess, start_worker, workers
from tests.e2e.terminal import TMUX, Terminal
from tests.servers.nats import nats_server

__all__ = ["nats_server", "workers"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

RAMIFY = Path(sys.executable).with_name("ramify")
WHOLE_REPLY = "".join(f"t{i} " for i in range(40))


async def _until_idle(url: str) -> None:
    """Until every worker at `url` reports no running call (bounded by the test's timeout)."""
    while any(worker["running"] for worker in await list_workers(url, wait=0.2)):
        pass


def _kill_the_ide(terminal: Terminal) -> None:
    """SIGKILL the `ramify` process in the pane (the child of the pane's `sh`)."""
    shell = terminal.tmux("display-message", "-p", "-t", "e2e", "#{pane_pid}").strip()
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    (ide,) = children
    os.kill(int(ide), signal.SIGKILL)
    terminal.wait_for_exit()


@pytest.mark.timeout(120)
def test_a_remote_agent_streams_in_the_ide_and_a_killed_ide_resyncs_on_reopen(
    tmp_path: Path, nats_server, workers: list[WorkerProcess]
) -> None:
    workers.append(start_worker(nats_server.url, "paced"))
    config = tmp_path / "config.toml"
    config.write_text(f'[agents.PACED]\nremote = "{nats_server.url}"\n')
    home = tmp_path / "home"
    home.mkdir()
    environment = {"RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(config)}
    argv = [str(RAMIFY), f"{AGENTS}:paced"]
    terminal = Terminal(tmp_path, argv, environment)
    try:
        terminal.wait_for("⑂ main", "the path bar")
        terminal.type("go")
        terminal.press("Enter")
        terminal.wait_for(f"@ {workers[0].worker_id}", "the worker in the pane header")
        terminal.wait_for("t1 ", "tokens streaming from the worker")
        _kill_the_ide(terminal)
    finally:
        terminal.close()
    # The worker goes on without the IDE; reopen once it has finished the run.
    asyncio.run(_until_idle(nats_server.url))
    reopened = Terminal(tmp_path, argv, environment)
    try:
        # The worker finished while the IDE was gone (its end record is in JetStream).
        reopened.wait_for(
            lambda text: "Resynced 1 finished remote message(s)" in text,
            "the resync notice",
            deadline=60,
        )
        # The whole reply (wrapped over lines), recorded under the message that asked for it.
        screen = reopened.wait_for("t38 t39", "the end of the reply in the transcript")
        words = screen.split("█ go", 1)[1].split("to PACED", 1)[0].split()
        assert " ".join(word for word in words if word.startswith("t") and word[1:].isdigit()) == (
            WHOLE_REPLY.strip()
        )
        reopened.press("C-q")
        assert reopened.wait_for_exit() == 0
    finally:
        reopened.close()
