"""`NetRecorder` batches: a batch waiting behind a write takes the later ones in."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from ramify.core import USER, Session, SQLiteStore, UserMessage
from ramify.core.errors import StoreError
from ramify.core.messages import Message
from ramify.core.net import Actor, NetMessage
from ramify.core.net.recorder import NetRecorder
from ramify.core.runs import Run, RunStatus
from ramify.core.tree import Node


class _CountingStore(SQLiteStore):
    """A real SQLite store that notes the size of every batch of nodes as its write starts
    (the recorder writes them with `put_nodes_and_runs`, in one trip to SQLite's thread)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.batches: list[int] = []
        self.run_counts: list[int] = []
        self.started = asyncio.Event()

    async def put_nodes_and_runs(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        runs: Sequence[Run],
        *,
        session_id: str | None = None,
    ) -> None:
        self.batches.append(len(nodes))
        self.run_counts.append(len(runs))
        self.started.set()
        await super().put_nodes_and_runs(nodes, messages, runs, session_id=session_id)


async def _recorder(store: SQLiteStore) -> tuple[Session, NetRecorder, UserMessage]:
    session = await Session.create(store)
    task = UserMessage(text="go")
    node = await session.append(task, sender=USER)
    run = Run(agent="net", session_id=session.id)
    if isinstance(store, _CountingStore):  # only the recorder's writes are counted
        store.batches.clear()
        store.started.clear()
    return session, NetRecorder(session, "main", run, node.hash_key, task), task


def _place_chain(recorder: NetRecorder, parent: Message, count: int, tag: str) -> Message:
    """`count` messages, each replying to the one before; returns the last."""
    for index in range(count):
        message = NetMessage.reply_to(parent, sender="a", receiver="b", text=f"{tag} {index}")
        recorder.place(message, parent, "a", recorder.run)
        parent = message
    return parent


async def test_batches_queued_before_their_write_starts_go_in_one_transaction(
    tmp_path: Path,
) -> None:
    async with _CountingStore(tmp_path / "net.db") as store:
        session, recorder, task = await _recorder(store)
        last = _place_chain(recorder, task, 3, "first")
        recorder.flush_soon()
        last = _place_chain(recorder, last, 2, "second")
        recorder.flush_soon()
        await recorder.flush()
        assert store.batches == [5]
        stored = {node.hash_key for node in await store.session_nodes(session.id)}
        assert set(recorder.run.output_nodes) <= stored


async def test_a_batch_waiting_behind_a_write_takes_the_later_ones_in(tmp_path: Path) -> None:
    path = tmp_path / "net.db"
    async with _CountingStore(path) as store:
        session, recorder, task = await _recorder(store)
        # Another connection holds the write lock: the first batch's write waits for it.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            last = _place_chain(recorder, task, 3, "first")
            recorder.flush_soon()
            await store.started.wait()
            last = _place_chain(recorder, last, 2, "second")
            recorder.flush_soon()
            last = _place_chain(recorder, last, 4, "third")
            recorder.flush_soon()
        finally:
            other.execute("ROLLBACK")
            other.close()
        await recorder.flush()
        assert store.batches == [3, 6]
        # Every message is a node, under the message it answers, in the session.
        path_nodes = await session.path(recorder.run.output_nodes[-1])
        assert [node.hash_key for node in path_nodes[1:]] == recorder.run.output_nodes
        stored = {node.hash_key for node in await store.session_nodes(session.id)}
        assert set(recorder.run.output_nodes) <= stored


class _NodesFailStore(SQLiteStore):
    """A real SQLite store whose writes of nodes fail (the runs alone still go through)."""

    async def put_nodes_and_runs(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        runs: Sequence[Run],
        *,
        session_id: str | None = None,
    ) -> None:
        if nodes:
            raise StoreError("disk full")
        await super().put_nodes_and_runs(nodes, messages, runs, session_id=session_id)


class _Worker(Actor):
    pass


async def test_the_actors_runs_are_saved_with_the_last_batch(tmp_path: Path) -> None:
    async with _CountingStore(tmp_path / "net.db") as store:
        session, recorder, task = await _recorder(store)
        worker_run = recorder.run_for(_Worker("worker"))
        last = _place_chain(recorder, task, 3, "first")
        recorder.flush_soon()
        _place_chain(recorder, last, 2, "second")
        # The first batch has not started: the last nodes and the run go with it.
        await recorder.finish(RunStatus.DONE)
        assert (store.batches, store.run_counts) == ([5], [1])
        stored = await session.get_run(worker_run.id)
        assert stored.status is RunStatus.DONE
        assert stored.ended_at is not None


async def test_the_actors_runs_go_with_the_last_nodes_after_a_written_batch(
    tmp_path: Path,
) -> None:
    async with _CountingStore(tmp_path / "net.db") as store:
        session, recorder, task = await _recorder(store)
        worker_run = recorder.run_for(_Worker("worker"))
        last = _place_chain(recorder, task, 3, "first")
        await recorder.flush()
        _place_chain(recorder, last, 2, "second")
        await recorder.finish(RunStatus.DONE)
        assert (store.batches, store.run_counts) == ([3, 2], [0, 1])
        assert (await session.get_run(worker_run.id)).status is RunStatus.DONE
        stored = {node.hash_key for node in await store.session_nodes(session.id)}
        assert set(recorder.run.output_nodes) <= stored


async def test_the_actors_runs_are_saved_when_their_nodes_cannot_be(tmp_path: Path) -> None:
    async with _NodesFailStore(tmp_path / "net.db") as store:
        session, recorder, task = await _recorder(store)
        worker_run = recorder.run_for(_Worker("worker"))
        _place_chain(recorder, task, 3, "first")
        with pytest.raises(StoreError, match="disk full"):
            await recorder.finish(RunStatus.DONE)
        assert (await session.get_run(worker_run.id)).status is RunStatus.DONE
