"""`ramify worker` and `ramify workers`: serve agents over NATS, and list who serves what.

Kept apart from `cli.py` so the IDE's start-up never imports the remote layer.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ramify.core.redact import redact_url

if TYPE_CHECKING:
    from ramify.core import Agent

__all__ = ["worker_command", "workers_command"]


def _line(text: str) -> None:
    print(text, flush=True)


def _error(text: str) -> int:
    print(f"ramify: {text}", file=sys.stderr, flush=True)
    return 1


def worker_command(url: str, specs: Sequence[str]) -> int:
    """Load the agents (or workflows' tasks) named by `specs`; serve them until SIGINT/SIGTERM."""
    from ramify.tui.agent_loader import AgentSpecError, load_worker_spec

    try:
        agents = [agent for spec in specs for agent in load_worker_spec(spec)]
    except AgentSpecError as error:
        return _error(str(error))
    try:
        return asyncio.run(_serve(url, agents))
    except KeyboardInterrupt:
        return 130


async def _serve(url: str, agents: list[Agent]) -> int:
    from ramify.core import Ramify
    from ramify.core.remote import RemoteError, RemoteWorker

    async with Ramify(errors_as_messages=True, shutdown_timeout=2.0):
        worker = RemoteWorker(agents)
        try:
            await worker.start(url)
        except RemoteError as error:
            return _error(str(error))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: loop.create_task(worker.stop()))
        names = ", ".join(sorted(worker.agents))
        _line(f"worker {worker.worker_id} ready at {redact_url(url)}, serving {names}")
        await worker.serve_forever()
    return 0


def workers_command(url: str) -> int:
    """Print the live workers at `url`, one a line: id, version, running calls, agents."""
    from ramify.core.remote import RemoteError, list_workers

    try:
        workers = asyncio.run(list_workers(url))
    except RemoteError as error:
        return _error(str(error))
    if not workers:
        _line(f"no workers at {redact_url(url)}")
        return 0
    for worker in workers:
        agents = ", ".join(str(name) for name in worker.get("agents") or ())
        _line(
            f"{worker.get('worker')}  ramify {worker.get('version')}  "
            f"running {worker.get('running')}  serves {agents}"
        )
    return 0
