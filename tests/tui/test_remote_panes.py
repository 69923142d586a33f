"""A remote agent in the IDE: it streams into a pane like a local one, the pane header names
the worker, and Esc reaches the worker and keeps the partial reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import RunStatus, SQLiteStore, Store
from ramify.core.remote import close_shared_buses, remote_agent
from ramify.tui.widgets import AgentPanes, Composer
from tests.core.remote.test_remote_agents import _end_record
from tests.core.remote.workers import WorkerProcess, start_worker, workers
from tests.servers.nats import nats_server
from tests.tui.ide import ide, send, until

__all__ = ["nats_server", "workers"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "remote.db") as opened:
        yield opened


async def test_remote_reply_streams_into_a_pane_naming_the_worker_and_esc_cancels_it(
    nats_server, workers: list[WorkerProcess], store: Store
) -> None:
    workers.append(start_worker(nats_server.url, "hang"))
    hang = remote_agent("HANG", nats=nats_server.url)
    async with ide(store, hang) as (app, pilot):
        composer = app.query_one(Composer)
        composer.area.focus()
        composer.text = "go"
        await pilot.press("enter")
        panes = app.query_one(AgentPanes)
        await until(pilot, lambda: any(panes.pane(key).text == "first " for key in panes.keys))
        (key,) = panes.keys
        pane = panes.pane(key)
        assert f"@ {workers[0].worker_id}" in pane.header.render().plain
        (run_key,) = app.inquiries
        await pilot.press("escape")
        await until(pilot, lambda: run_key not in app.inquiries)
        session = app.controller.session
        assert (await session.get_run(run_key)).status is RunStatus.CANCELLED
        texts = [message.text for _, message in await session.path_messages("main")]
        assert texts == ["go", "first "]
        end = await _end_record(nats_server.url, run_key)
        await close_shared_buses()
    assert end["status"] == "cancelled"


async def test_a_slow_consumer_in_the_ide_is_a_warning_and_the_reply_is_whole(
    nats_server, workers: list[WorkerProcess], store: Store
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    echo = remote_agent("ECHO", nats=nats_server.url, token_pending_limit=2, n=3000)
    async with ide(store, echo, notifications=True) as (app, pilot):
        await send(app, pilot, "z")
        toasts = [str(notification.message) for notification in app._notifications]
        texts = [message.text for _, message in await app.controller.session.path_messages("main")]
        await close_shared_buses()
    assert any(toast.startswith("Slow consumer: NATS dropped tokens") for toast in toasts)
    assert texts == ["z", "".join(f"z-0.{i} " for i in range(3000))]
