"""Agent runs recorded as trees: nodes per reply, caching, rerun, errors, cancel, interrupts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import (
    USER,
    ErrorMessage,
    InteractionContext,
    Message,
    MessagePromise,
    Ramify,
    RunStatus,
    Session,
    SQLiteStore,
    Store,
    UserMessage,
    agent,
)
from tests.servers.stores import STORE_KINDS, new_store


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with new_store(request.param, request, tmp_path / "r.db") as backend:
        yield backend


def make_counter() -> tuple[object, list[int]]:
    calls: list[int] = []

    @agent
    async def counting(ctx: InteractionContext, suffix: str = "") -> None:
        calls.append(1)
        history = await ctx.message_promises
        ctx.reply(f"seen {len(history)}{suffix}")

    return counting, calls


async def test_each_reply_becomes_a_node_with_its_producer_as_sender(store: Store) -> None:
    @agent
    async def helper(ctx: InteractionContext) -> None:
        ctx.reply("from helper")

    @agent
    async def lead(ctx: InteractionContext) -> None:
        ctx.reply(["from lead", helper.inquire()])

    async with Ramify():
        session = await Session.create(store, title="t")
        await session.append(UserMessage(text="hi"), sender=USER, branch="main")
        replies = session.inquire(lead, branch="main")
        assert [str(m) for m in await replies] == ["from lead", "from helper"]
    path = await session.path_messages("main")
    assert [(node.sender, str(message)) for node, message in path] == [
        (USER, "hi"),
        ("LEAD", "from lead"),
        ("HELPER", "from helper"),
    ]
    run = await session.get_run(replies.run.id)
    assert run.status is RunStatus.DONE
    assert run.output_nodes == [node.hash_key for node, _ in path[1:]]
    assert run.input_node == path[0][0].hash_key
    children = await session.runs(parent_run_id=run.id)
    assert [child.agent for child in children] == ["HELPER"]


async def test_same_fingerprint_on_same_input_replays_without_calling_the_agent(
    store: Store,
) -> None:
    counting, calls = make_counter()
    async with Ramify():
        session = await Session.create(store)
        root = await session.append(UserMessage(text="q"), branch="main")
        first = await session.inquire(counting, branch="main")  # type: ignore[arg-type]
        await session.fork(root, "again")
        replay = session.inquire(counting, branch="again")  # type: ignore[arg-type]
        second = await replay
    assert calls == [1]
    assert replay.cache_hit
    assert second == first
    assert (await session.head("again")) == (await session.head("main"))


async def test_cache_is_bypassed_when_switched_off_per_agent_or_kwargs_differ(
    store: Store,
) -> None:
    counting, calls = make_counter()
    uncached = counting.fork(cache=False)  # type: ignore[attr-defined]
    async with Ramify():
        session = await Session.create(store)
        root = await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(uncached, branch="main")
        for name in ("b", "c"):
            await session.fork(root, name)
        await session.inquire(uncached, branch="b")
        await session.inquire(counting, branch="c", suffix="!")  # type: ignore[arg-type]
    assert len(calls) == 3


async def test_rerun_creates_siblings_and_leaves_the_originals_byte_identical(
    store: Store,
) -> None:
    counting, calls = make_counter()
    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(counting, branch="main")  # type: ignore[arg-type]
        original_path = await session.path_messages("main")
        before = [(node.to_data(), message.to_data()) for node, message in original_path]
        reply_node = original_path[-1][0]
        rerun = session.rerun(reply_node, counting.fork(suffix=" (v2)"))  # type: ignore[attr-defined]
        assert [str(m) for m in await rerun] == ["seen 1 (v2)"]
        after = [(n.to_data(), m.to_data()) for n, m in await session.path_messages("main")]
        siblings = await session.children(original_path[0][0])
    assert after == before
    assert len(calls) == 2
    assert {str(await session.message(node)) for node in siblings} == {"seen 1", "seen 1 (v2)"}
    assert rerun.branch.startswith("rerun-")


async def test_a_failing_agent_leaves_an_error_node_and_still_raises(store: Store) -> None:
    @agent
    async def broken(ctx: InteractionContext) -> None:
        ctx.reply("before")
        raise RuntimeError("model exploded")

    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        replies = session.inquire(broken, branch="main")
        with pytest.raises(RuntimeError, match="model exploded"):
            await replies
        await asyncio.wait_for(replies.recorded(), timeout=10)
    path = await session.path_messages("main")
    assert [str(message) for _, message in path] == ["q", "before", "RuntimeError: model exploded"]
    assert isinstance(path[-1][1], ErrorMessage)
    assert (await session.get_run(replies.run.id)).status is RunStatus.ERROR


async def test_a_cancelled_run_keeps_its_partial_message_as_a_cancelled_node(
    store: Store,
) -> None:
    halfway = asyncio.Event()

    @agent
    async def slow_writer(ctx: InteractionContext) -> None:
        async def tokens():  # type: ignore[no-untyped-def]
            yield "partial "
            yield "text"
            halfway.set()
            await asyncio.Event().wait()
            yield "never"

        ctx.reply(MessagePromise(tokens()))

    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        replies = session.inquire(slow_writer, branch="main")
        await halfway.wait()
        replies.cancel()
        with pytest.raises(asyncio.CancelledError):
            await replies
        await asyncio.wait_for(replies.recorded(), timeout=10)
    node, message = (await session.path_messages("main"))[-1]
    assert str(message) == "partial text"
    assert message.cancelled is True  # type: ignore[attr-defined]
    assert node.sender == "SLOW_WRITER"
    assert (await session.get_run(replies.run.id)).status is RunStatus.CANCELLED


async def test_errors_as_messages_records_the_error_node_without_raising(store: Store) -> None:
    @agent
    async def broken(ctx: InteractionContext) -> None:
        raise ValueError("nope")

    async with Ramify(errors_as_messages=True):
        session = await Session.create(store)
        replies = await session.inquire(broken, branch="main")
    assert isinstance(replies[0], ErrorMessage)
    ((_, message),) = await session.path_messages("main")
    assert message == replies[0]


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from ramify.core import InteractionContext, Ramify, Session, SQLiteStore, UserMessage, agent

    @agent
    async def hangs(ctx: InteractionContext) -> None:
        print("RUNNING", flush=True)
        await asyncio.Event().wait()

    async def main() -> None:
        async with SQLiteStore(sys.argv[1]) as store:
            session = await Session.create(store, session_id="s1")
            await session.append(UserMessage(text="q"), branch="main")
            await session.inquire(hangs, branch="main")

    Ramify().run(main())
    """
)


@pytest.mark.slow
async def test_a_run_whose_process_was_killed_reads_as_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(db), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout=30)
        assert line.strip() == b"RUNNING"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        await asyncio.wait_for(child.wait(), timeout=30)
    async with SQLiteStore(db) as store:
        (run,) = await store.list_runs(session_id="s1")
        assert run.status is RunStatus.RUNNING
        session = await Session.open(store, "s1")
        (run,) = await session.runs()
    assert run.status is RunStatus.INTERRUPTED


async def test_rerun_of_a_user_node_is_refused_clearly(store: Store) -> None:
    async with Ramify():
        session = await Session.create(store)
        node = await session.append(Message(text="q"), branch="main")
        with pytest.raises(Exception, match="not produced by an agent run"):
            await session.rerun(node)
