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
from ramify.core.remote import (
    close_shared_buses,
    follow_remote_run,
    read_remote_run,
    resync_remote_runs,
)
from ramify.core.runs import RunStatus
from ramify.core.session import Session
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

    async def main(path, url, n):
        async with SQLiteStore(path) as store, Ramify(store=store):
            session = await Session.create(store)
            await session.append(UserMessage(text="go"), sender="USER", branch="main")
            replies = session.inquire(remote_agent("PACED", nats=url), n=n, gap=0.05)
            async for promise in replies:
                async for _ in promise:
                    print(session.id, replies.run.id, flush=True)
                    await asyncio.Event().wait()  # killed here, mid-run

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


def _start_caller(path: Path, url: str, n: int = 30) -> subprocess.Popen[str]:
    """A caller asking PACED for `n` tokens 50 ms apart; it prints its ids at the first token."""
    return subprocess.Popen(
        [sys.executable, "-c", CALLER, str(path), url, str(n)], stdout=subprocess.PIPE, text=True
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
        notices, followers = await resync_on_open(controller, config)
        again = await resync_remote_runs(session, {"PACED": nats_server.url}.get)
        path_messages = await session.path_messages("main")
        run = await session.get_run(run_id)
        shown = [view.text for view in await controller.views(0, 10)]
        await close_shared_buses()
    assert notices == ["Resynced 1 finished remote message(s) from JetStream."]
    assert followers == []  # the run ended: nothing left to follow
    assert again.added == []
    assert again.running == []
    assert [str(message) for _, message in path_messages] == [
        "go",
        "".join(f"t{i} " for i in range(30)),
    ]
    assert run.status is RunStatus.DONE
    assert run.output_nodes == [path_messages[-1][0].hash_key]
    assert shown == [message.text for _, message in path_messages]  # the IDE shows it


async def test_a_reopened_caller_follows_a_run_still_running_to_its_end(
    nats_server, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    workers.append(start_worker(nats_server.url, "paced"))
    path = tmp_path / "s.db"
    caller = _start_caller(path, nats_server.url, n=80)
    assert caller.stdout is not None
    line = await asyncio.to_thread(caller.stdout.readline)
    caller.kill()
    caller.wait()
    session_id, run_id = line.split()
    async with SQLiteStore(path) as store, Ramify(store=store):
        session = await Session.open(store, session_id)
        run = await session.get_run(run_id)
        assert run is not None
        assert run.status is RunStatus.INTERRUPTED
        # The worker is still streaming (80 tokens, 4 s): nothing finished to resync yet.
        assert (await read_remote_run(nats_server.url, run_id)).status is None
        added = await follow_remote_run(session, run, nats_server.url)
        path_messages = await session.path_messages("main")
        stored = await session.get_run(run_id)
        await close_shared_buses()
    assert [str(message) for _, message in path_messages] == [
        "go",
        "".join(f"t{i} " for i in range(80)),
    ]
    assert [node.hash_key for node in added] == [path_messages[-1][0].hash_key]
    assert stored is not None
    assert stored.status is RunStatus.DONE
    assert stored.output_nodes == [path_messages[-1][0].hash_key]


async def test_following_a_run_whose_worker_died_stops_and_leaves_it_interrupted(
    nats_server, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    workers.append(start_worker(nats_server.url, "paced"))
    path = tmp_path / "s.db"
    caller = _start_caller(path, nats_server.url, n=80)
    assert caller.stdout is not None
    line = await asyncio.to_thread(caller.stdout.readline)
    caller.kill()
    caller.wait()
    workers[0].kill()
    session_id, run_id = line.split()
    async with SQLiteStore(path) as store, Ramify(store=store):
        session = await Session.open(store, session_id)
        run = await session.get_run(run_id)
        assert run is not None
        added = await follow_remote_run(session, run, nats_server.url, heartbeat_timeout=1.0)
        stored = await session.get_run(run_id)
        await close_shared_buses()
    assert added == []
    assert stored is not None
    assert stored.status is RunStatus.INTERRUPTED


async def test_the_ide_follows_a_run_still_running_when_the_session_reopens(
    nats_server, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    workers.append(start_worker(nats_server.url, "paced"))
    path = tmp_path / "s.db"
    caller = _start_caller(path, nats_server.url, n=60)
    assert caller.stdout is not None
    line = await asyncio.to_thread(caller.stdout.readline)
    caller.kill()
    caller.wait()
    session_id, run_id = line.split()
    config = parse_config(f'[agents.PACED]\nremote = "{nats_server.url}"\n', "config.toml")
    changes: list[int] = []
    async with SQLiteStore(path) as store, Ramify(store=store):
        # What `ramify` does on opening: resync, then hand the app a job per running run.
        controller = await SessionController.open(store, session_id, echo)
        notices, followers = await resync_on_open(controller, config)
        assert len(followers) == 1
        # What the app's background worker does with it.
        ending = await followers[0](lambda: changes.append(1))
        await controller.refresh()
        shown = [view.text for view in await controller.views(0, 10)]
        stored = await controller.session.get_run(run_id)
        await close_shared_buses()
    assert notices == [
        "1 remote run(s) of this session are still running on their workers; their replies "
        "land here as they finish."
    ]
    assert changes == [1]  # told once: the one reply landed
    assert ending == f"Remote run {run_id[:8]} (PACED): 1 more message(s), done."
    assert shown == ["go", "".join(f"t{i} " for i in range(60))]
    assert stored.status is RunStatus.DONE
