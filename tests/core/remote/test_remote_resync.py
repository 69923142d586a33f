"""A caller killed mid-run: on reopening, the session takes in what the worker finished."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ramify.core import Ramify
from ramify.core.llm.config import parse_config
from ramify.core.remote import close_shared_buses, resync_remote_runs
from ramify.core.runs import RunStatus
from ramify.core.store import SQLiteStore
from ramify.tui.controller import SessionController
from ramify.tui.remote_resync import resync_on_open
from tests.servers.nats import nats_server
from tests.tui.ide import echo

from .test_remote_agents import _end_record
from .workers import WorkerProcess, start_worker, workers

__all__ = ["nats_server", "workers"]

pytestmark = pytest.mark.slow

CALLER = textwrap.dedent(
    """
    import asyncio, sys
    from ramify.core import Ramify, UserMessage
    from ramify.core.remote import remote_agent
    from ramify.core.session import Session
    from ramify.core.store import SQLiteStore

    async def main(path, url):
        async with SQLiteStore(path) as store, Ramify(store=store):
            session = await Session.create(store)
            await session.append(UserMessage(text="go"), sender="USER", branch="main")
            replies = session.inquire(remote_agent("PACED", nats=url), n=30, gap=0.05)
            async for promise in replies:
                async for _ in promise:
                    print(session.id, replies.run.id, flush=True)
                    await asyncio.Event().wait()  # killed here, mid-run

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def _start_caller(path: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CALLER, str(path), url], stdout=subprocess.PIPE, text=True
    )


async def test_a_killed_caller_resyncs_finished_messages_without_duplicates(
    nats_server, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    workers.append(start_worker(nats_server.url, "paced"))
    path = tmp_path / "s.db"
    caller = _start_caller(path, nats_server.url)
    assert caller.stdout is not None
    line = await asyncio.to_thread(caller.stdout.readline)
    caller.kill()
    caller.wait()
    session_id, run_id = line.split()
    # The worker finishes on its own; its end record says so.
    assert (await _end_record(nats_server.url, run_id))["status"] == "done"
    config = parse_config(f'[agents.PACED]\nremote = "{nats_server.url}"\n', "config.toml")
    async with SQLiteStore(path) as store, Ramify(store=store):
        # What the IDE does when it opens the session again.
        controller = await SessionController.open(store, session_id, echo)
        session = controller.session
        notices = await resync_on_open(controller, config)
        again = await resync_remote_runs(session, {"PACED": nats_server.url}.get)
        path_messages = await session.path_messages("main")
        run = await session.get_run(run_id)
        shown = [view.text for view in await controller.views(0, 10)]
        await close_shared_buses()
    assert notices == ["Resynced 1 finished remote message(s) from JetStream."]
    assert again.added == []
    assert again.running == []
    assert [str(message) for _, message in path_messages] == [
        "go",
        "".join(f"t{i} " for i in range(30)),
    ]
    assert run.status is RunStatus.DONE
    assert run.output_nodes == [path_messages[-1][0].hash_key]
    assert shown == [message.text for _, message in path_messages]  # the IDE shows it
