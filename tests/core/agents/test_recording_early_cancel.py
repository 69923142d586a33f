"""`RecordedReplies.recorded()` resolves however early a run is cancelled or fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import (
    InteractionContext,
    Ramify,
    RunStatus,
    Session,
    SQLiteStore,
    Store,
    UserMessage,
    agent,
)
from ramify.core.recording import RecordedReplies
from tests.servers.stores import STORE_KINDS, new_store

# A bound on each wait, so a regression fails here instead of hanging the suite.
BOUND = 10
# Enough task switches to reach every await of a run's set-up (history, cache, run record).
YIELDS = 12


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with new_store(request.param, request, tmp_path / "r.db") as backend:
        yield backend


@agent(cache=False)
async def echo(ctx: InteractionContext) -> None:
    history = await ctx.message_promises
    ctx.reply(f"seen {len(history)}")


async def _cancelled_after(replies: RecordedReplies, switches: int) -> RecordedReplies:
    for _ in range(switches):
        await asyncio.sleep(0)  # one task switch: lets the run advance by one await
    replies.cancel()
    await asyncio.wait_for(replies.recorded(), timeout=BOUND)
    return replies


async def test_an_inquiry_cancelled_before_its_task_starts_still_reads_as_recorded(
    store: Store,
) -> None:
    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        replies = await _cancelled_after(session.inquire(echo, branch="main"), 0)
    assert replies.run.status is RunStatus.CANCELLED
    assert replies.run.ended_at is not None
    assert [str(m) for _, m in await session.path_messages("main")] == ["q"]


async def test_a_rerun_cancelled_before_its_task_starts_still_reads_as_recorded(
    store: Store,
) -> None:
    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(echo, branch="main")
        reply = await session.head("main")
        assert reply is not None
        rerun = await _cancelled_after(session.rerun(reply), 0)
    assert rerun.run.status is RunStatus.CANCELLED
    assert {ref.name for ref in await session.store.list_refs(session.id)} == {"main"}


@pytest.mark.parametrize("verb", ["inquire", "rerun"])
async def test_a_cancel_at_any_point_of_a_run_lets_recorded_resolve(
    store: Store, verb: str
) -> None:
    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(echo, branch="main")
        reply = await session.head("main")
        assert reply is not None
        for switches in range(YIELDS):
            started = (
                session.inquire(echo, branch="main") if verb == "inquire" else session.rerun(reply)
            )
            replies = await _cancelled_after(started, switches)
            assert replies.run.status in {RunStatus.CANCELLED, RunStatus.DONE}, switches
        # Every cancel left the store usable: one more run records normally.
        last = session.inquire(echo, branch="main")
        await last
        assert (await asyncio.wait_for(last.recorded(), timeout=BOUND)).status is RunStatus.DONE


async def test_a_run_whose_set_up_fails_reads_as_an_error_once_recorded(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "r.db")
    async with Ramify():
        async with store:
            session = await Session.create(store)
            await session.append(UserMessage(text="q"), branch="main")
        # The store is closed: reading the branch's history, before the agent runs, fails.
        replies = session.inquire(echo, branch="main")
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the closed store raises
            await replies
        run = await asyncio.wait_for(replies.recorded(), timeout=BOUND)
    assert run.status is RunStatus.ERROR
    assert run.error
