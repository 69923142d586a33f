"""Group commit for a workflow run's records: nodes and runs written in batches.

A task's records (its run started, its output node, its run finished) are queued, not
written one by one: a flusher task writes whatever is queued in one
`Store.put_nodes_and_runs` (one transaction, on SQLite one trip to its thread), then
whatever queued meanwhile (a `drain` with no write under way writes what
it waits for in its caller's task instead, sparing an in-memory store a trip through the
event loop). Many tasks at once thus share a transaction, and a run's start and end queued
together are one write. `drain` waits until what was queued before it is stored: the
engine drains before a task runs (a run killed then is found running, its inputs
recorded), before it moves a branch (a ref must name stored nodes) and when the run ends;
`after` says a task is done only once its output is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..messages import Message
from ..runs import Run, copy_run
from ..session import Session
from ..tree import Node

__all__ = ["Recorder"]


class Recorder:
    """Queues one run's nodes (in write order, parents first) and runs; writes them in batches."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._nodes: list[Node] = []
        self._messages: list[Message] = []
        self._runs: dict[str, tuple[Run, bool]] = {}
        """Run id -> its latest record, and whether it was handed over (see `run`)."""
        self._after: list[Callable[[], None]] = []
        self._queued = 0
        """How many items were ever queued; `_stored` how many of them are stored."""
        self._stored = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        """A write that failed: every later `drain` raises it, so the run cannot end as done."""
        self._scheduled = False
        """Whether `_start_flusher` is due at the loop's next turn."""
        self._writing = False
        """Whether a `_flush` is writing (the flusher task's or a `drain`'s): one at a time."""

    def node(self, node: Node, message: Message) -> None:
        self._nodes.append(node)
        self._messages.append(message)
        self._kick()

    def run(self, run: Run, *, handed_over: bool = False) -> None:
        """Queue `run`'s record. Written as a copy taken at write time (its caller goes on
        changing it), unless `handed_over`: the caller never changes that object again, so
        the store may keep it as it is (a finished task's record: a copy saved per task)."""
        # A later save of the same run supersedes an earlier one not yet written.
        self._runs[run.id] = (run, handed_over)
        self._kick()

    def after(self, callback: Callable[[], None]) -> None:
        """Call `callback` once everything queued so far is stored (a progress line saying a
        task is done must mean its output survives a kill)."""
        self._after.append(callback)
        self._kick()

    def _kick(self) -> None:
        self._queued += 1
        if not self._scheduled:
            # The flusher task is made at the loop's next turn, and only if a write is still
            # due then: a task that drains right after queueing (the engine before each task)
            # has written its batch already, so most turns make no task at all.
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._start_flusher)

    def _start_flusher(self, waited: bool = False) -> None:
        if self._writing:
            # The write under way hands on what is left when it ends (`_flush`).
            self._scheduled = False
            return
        if not waited:
            # One more turn: a task woken in this one (the next of a chain) may drain and
            # write the batch itself, and a flusher task made now would find nothing to do.
            asyncio.get_running_loop().call_soon(self._start_flusher, True)
            return
        self._scheduled = False
        if self._stored < self._queued and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.ensure_future(self._flush())

    async def _flush(self, until: int | None = None) -> None:
        """Write batches until everything (or the first `until` items) queued is stored."""
        if self._writing:
            return  # the write in progress goes on with what was queued meanwhile
        self._writing = True
        try:
            await self._write_queued(until)
        finally:
            self._writing = False
        if self._stored < self._queued and (self._flusher is None or self._flusher.done()):
            # What a drain left (queued while it wrote) goes to the flusher: the draining
            # task starts its own work rather than writing everyone else's.
            self._flusher = asyncio.ensure_future(self._flush())

    async def _write_queued(self, until: int | None) -> None:
        while self._stored < (self._queued if until is None else until):
            target = self._queued
            nodes, messages, after = self._nodes, self._messages, self._after
            # Copies: the engine goes on changing a run while its record is written.
            runs = [
                run if handed_over else copy_run(run) for run, handed_over in self._runs.values()
            ]
            self._nodes, self._messages, self._runs, self._after = [], [], {}, []
            try:
                # One write (one transaction on SQLite): a task's run and its nodes.
                await self.session.save_nodes_and_runs(nodes, messages, runs)
            except Exception as error:
                self._error = error
                self._stored = target
                self._wake(target, error)
                continue
            except BaseException:
                # Cancelled mid-write (a `drain` writes in its caller's task): the batch goes
                # back ahead of what was queued since, for the flusher to write again (a put
                # of what is already stored changes nothing).
                self._nodes, self._messages = nodes + self._nodes, messages + self._messages
                self._runs = {**{run.id: (run, True) for run in runs}, **self._runs}
                self._after = after + self._after
                self._flusher = asyncio.ensure_future(self._flush())
                raise
            self._stored = target
            for callback in after:
                callback()
            self._wake(target, None)

    def _wake(self, target: int, error: BaseException | None) -> None:
        waiting = []
        for wanted, future in self._waiters:
            if wanted > target:
                waiting.append((wanted, future))
            elif not future.done():
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)
        self._waiters = waiting

    def check(self) -> None:
        """Raise the error of a write that failed, if any (a task must not start after one)."""
        if self._error is not None:
            raise self._error

    async def drain(self) -> None:
        """Wait until everything queued before this call is stored; raise if a write failed."""
        if self._error is not None:
            raise self._error
        if self._stored >= self._queued:
            return
        if not self._writing:
            # Written here rather than by the flusher task: with an in-memory store the
            # whole drain then completes without a trip through the event loop. The
            # flusher, when it gets its turn, finds nothing left to write.
            await self._flush(self._queued)
            if self._error is not None:
                raise self._error
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._queued, future))
        await future
