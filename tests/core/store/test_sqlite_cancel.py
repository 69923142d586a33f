"""Cancelling a task at any moment of a store write leaves the SQLite store usable.

aiosqlite runs each statement in its own thread, which finishes a statement even when the
task that awaited it is cancelled. These tests cancel writes at a random moment (seeded, so a
failure replays): after a random number of event loop turns, or while the N-th SQL statement
runs in aiosqlite's thread (BEGIN, an INSERT, COMMIT...). Then a second connection checks that
no transaction was left open and that every write is either committed or absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from ramify.core import (
    InteractionContext,
    MessagePromise,
    Node,
    NodeNotFound,
    Ramify,
    Run,
    Session,
    SQLiteStore,
    UserMessage,
    agent,
)

ROUNDS = 150


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "cancel.db") as opened:
        yield opened


class _CancelAtStatement:
    """A trace callback that cancels something while the N-th statement runs in the thread."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._count = 0
        self._at = 0
        self._cancel: Callable[[], object] | None = None

    def arm(self, at: int, cancel: Callable[[], object]) -> None:
        self._count, self._at, self._cancel = 0, at, cancel

    def __call__(self, statement: str) -> None:
        # Runs in aiosqlite's thread: the cancel reaches the loop before the statement's result.
        self._count += 1
        if self._count == self._at and self._cancel is not None:
            self._loop.call_soon_threadsafe(self._cancel)


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def _assert_not_wedged(store: SQLiteStore) -> None:
    """No transaction is left open, and what this connection sees is what others see."""
    # A read queues behind any statement still running in aiosqlite's thread.
    seen = await store.count_nodes()
    assert not store._conn().in_transaction
    other = sqlite3.connect(store.file_path, timeout=0)
    try:
        # timeout=0: a write lock still held by the store fails here at once ("locked").
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        committed = other.execute("SELECT count(*) FROM nodes").fetchone()[0]
    finally:
        other.close()
    assert seen == committed


async def test_randomly_timed_cancels_of_append_leave_the_store_usable(
    store: SQLiteStore,
) -> None:
    rng = random.Random(14_1)
    tracer = _CancelAtStatement()
    await store._conn().set_trace_callback(tracer)
    session = await Session.create(store)
    for number in range(ROUNDS):
        task = asyncio.ensure_future(
            session.append(UserMessage(text=f"message {number}"), branch=f"b{number % 7}")
        )
        if number % 2:
            tracer.arm(rng.randrange(1, 12), task.cancel)
        else:
            await _turns(rng.randrange(0, 14))
            task.cancel()
        try:
            node = await task
        except asyncio.CancelledError:
            node = None
        tracer.arm(0, task.cancel)
        await _assert_not_wedged(store)
        if node is not None:
            assert await session.head(f"b{number % 7}") == node
    after = await session.append(UserMessage(text="still writable"), branch="b0")
    assert (await session.head("b0")) == after


async def test_randomly_timed_cancels_of_a_recorded_inquiry_leave_the_store_usable(
    store: SQLiteStore,
) -> None:
    @agent
    async def streamer(ctx: InteractionContext) -> None:
        async def tokens():  # type: ignore[no-untyped-def]
            for index in range(6):
                await asyncio.sleep(0)
                yield f"t{index} "

        ctx.reply([MessagePromise(tokens()), "second reply"])

    rng = random.Random(14_11)
    tracer = _CancelAtStatement()
    await store._conn().set_trace_callback(tracer)
    session = await Session.create(store)
    for number in range(ROUNDS):
        await session.append(UserMessage(text=f"question {number}"), branch="main")
        # Leaving the runtime waits for the run's tasks, so every write it began has ended.
        async with Ramify():
            replies = session.inquire(streamer, branch="main", cache=False)
            if number % 2:
                tracer.arm(rng.randrange(1, 40), replies.cancel)
            else:
                await _turns(rng.randrange(0, 30))
                replies.cancel()
        tracer.arm(0, replies.cancel)
        await _assert_not_wedged(store)
    # A second connection, as another process would, writes after all of it.
    other = SQLiteStore(store.file_path)
    async with other:
        later = await Session.open(other, session.id)
        await later.append(UserMessage(text="from elsewhere"), branch="main")
    assert (await store.count_nodes()) == (await _committed_nodes(store.file_path))


async def test_a_write_cancelled_mid_body_is_rolled_back_and_the_connection_kept(
    store: SQLiteStore,
) -> None:
    committing = asyncio.Event()
    release = asyncio.Event()
    session = await Session.create(store)

    async def body(db):  # type: ignore[no-untyped-def]
        await db.execute(
            "INSERT INTO reflog(session_id, name, old, new, reason, at) "
            "VALUES ('s', 'n', NULL, 'x', 'test', 0)"
        )
        committing.set()
        await release.wait()

    task = asyncio.ensure_future(store._write(body))
    await committing.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _assert_not_wedged(store)
    assert await store.reflog("s") == []
    await session.append(UserMessage(text="after"), branch="main")
    await _assert_not_wedged(store)


async def _committed_nodes(path: Path) -> int:
    other = sqlite3.connect(path)
    try:
        return int(other.execute("SELECT count(*) FROM nodes").fetchone()[0])
    finally:
        other.close()


async def test_randomly_timed_cancels_of_a_batch_of_nodes_and_runs_write_all_or_none(
    store: SQLiteStore,
) -> None:
    rng = random.Random(17)
    tracer = _CancelAtStatement()
    await store._conn().set_trace_callback(tracer)
    batches: list[tuple[Node, Run]] = []
    for index in range(ROUNDS):
        message = UserMessage(text=f"batch {index}")
        node = Node(message=message.hash_key, sender="wf")
        run = Run(session_id="s", agent="wf/task", output_nodes=[node.hash_key])
        batches.append((node, run))
        task = asyncio.ensure_future(store.put_nodes_and_runs([node], [message], [run]))
        if index % 2:
            tracer.arm(rng.randrange(1, 12), task.cancel)
        else:
            await _turns(rng.randrange(0, 4))
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        tracer.arm(0, task.cancel)
        await _assert_not_wedged(store)
    stored_runs = {run.id for run in await store.list_runs(session_id="s")}
    for node, run in batches:
        try:
            await store.get_node(node.hash_key)
            has_node = True
        except NodeNotFound:
            has_node = False
        assert has_node == (run.id in stored_runs)
