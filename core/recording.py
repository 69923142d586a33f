"""Agent runs recorded as conversation trees: `Session.inquire` and `Session.rerun`.

Each message of an agent's flattened reply becomes a node on the branch, in order, as it
resolves; its sender is the agent that produced it, its parent the run's input node or the
run's previous reply (never whatever else reached the branch meanwhile: then the replies go
on a new branch). The same agent fingerprint on the same input node replays the recorded
replies instead of calling the agent (the cache); a rerun bypasses it and puts its output
beside the original, on a new branch made at its first reply that differs.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .agents import Agent
from .agents.calls import AgentCall
from .agents.context import CallScope
from .frozen import FrozenMapping, freeze
from .landing import Landing
from .messages import ErrorMessage, Message
from .path_cache import EMPTY_PATH, CachedPath
from .promising import MessagePromise, MessageSequencePromise, ReplyChannel
from .runs import Run, RunStatus, encode_timings
from .tree import Node

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "RecordedReplies",
    "RunPlan",
    "frozen_kwargs",
    "mark_interrupted_runs",
    "start_recorded_inquiry",
    "start_run",
]


class RecordedReplies(MessageSequencePromise):
    """The reply of an agent run on a session branch.

    Attributes:
        run: the `Run` record (for a cache hit, the run whose replies were replayed).
        branch: the branch the replies are appended to. For a rerun, the new branch, named
            when its first reply that differs arrives ("" until then, and for good when
            ``same_as_before``).
        moved_to: the new branch the replies went to instead, when `branch` moved on while
            the run went (another run or writer added to it), or when a reply could not be
            written there; None otherwise.
        same_as_before: a rerun whose replies all came out identical to recorded ones: they
            are the same nodes, and no branch was made for them.
        cache_hit: True when recorded replies were replayed without calling the agent.
        rerun: True for `Session.rerun`'s replies.
    """

    run: Run
    branch: str
    moved_to: str | None = None
    same_as_before: bool = False
    cache_hit: bool = False
    rerun: bool = False
    _recorded: asyncio.Event
    _started: bool = False

    async def recorded(self) -> Run:
        """Wait until every reply is in the tree and the run record is saved; return it.

        Unlike awaiting the replies, this never raises the agent's error or cancellation. A
        run cancelled before it started resolves at once, cancelled, and is not in the store.
        """
        await self._recorded.wait()
        return self.run

    def _on_done(self) -> None:
        super()._on_done()
        self._settle_if_never_started()

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        super()._task_done(task)
        self._settle_if_never_started()

    def _settle_if_never_started(self) -> None:
        # A task cancelled before its first step never runs any of its body, so no `finally`
        # in the recording can say it is over: once nothing is left that could start it, this
        # does.
        if self._started or self._recorded.is_set() or self._tasks or self._start_fn:
            return
        if not self.done():
            return
        _ended_early(self.run, asyncio.CancelledError())
        self._recorded.set()


@dataclass(slots=True)
class RunPlan:
    """What a recorded run runs: the agent, its kwargs and its input (see `start_run`).

    `input_node` is where the replies go under: "head" (the branch's head when the run
    starts), a node, or None (a new root). `input_messages`, when given, is the input instead
    of the path to that node (a sub-agent's own input, on a rerun). `fresh_branch`: the
    branch is made at the first reply that differs from the recorded ones (a rerun).
    """

    agent: Agent
    kwargs: FrozenMapping
    input_node: Node | Literal["head"] | None
    input_messages: list[Message] | None = None
    fresh_branch: bool = False
    attempt: int = 0


def this_process() -> tuple[int, str]:
    """The pid and host that own runs started here (to tell dead runs from live ones)."""
    return os.getpid(), socket.gethostname()


def start_recorded_inquiry(
    session: Session,
    agent: Agent,
    *,
    branch: str,
    use_cache: bool,
    errors_as_messages: bool | None,
    kwargs: dict[str, Any],
) -> RecordedReplies:
    """Start `agent` on `branch`'s history and record its replies there; returns at once."""
    plan = RunPlan(agent, frozen_kwargs(agent, kwargs), "head")

    async def planned() -> RunPlan:
        return plan

    return start_run(
        session,
        agent.alias,
        planned,
        branch=branch,
        use_cache=use_cache and agent.cache,
        errors_as_messages=errors_as_messages,
    )


def frozen_kwargs(agent: Agent, kwargs: dict[str, Any]) -> FrozenMapping:
    return FrozenMapping(
        {key: freeze(value, f"{agent.alias}({key}=...)") for key, value in kwargs.items()}
    )


def start_run(
    session: Session,
    alias: str,
    planned: Callable[[], Awaitable[RunPlan]],
    *,
    branch: str,
    use_cache: bool,
    errors_as_messages: bool | None,
) -> RecordedReplies:
    pid, host = this_process()
    run = Run(agent=alias, session_id=session.id, pid=pid, host=host)

    async def record(channel: ReplyChannel) -> None:
        replies._started = True
        try:
            plan = await planned()
            run.agent = plan.agent.alias
            run.fingerprint = plan.agent.fingerprint(plan.kwargs)
            await _record(
                session,
                plan,
                replies,
                channel,
                use_cache=use_cache,
                errors_as_messages=errors_as_messages,
            )
        except BaseException as error:
            if not replies._recorded.is_set():
                _ended_early(run, error)
            raise
        finally:
            replies._recorded.set()

    replies = RecordedReplies(record, errors_as_messages=errors_as_messages, name=alias or "rerun")
    replies._recorded = asyncio.Event()
    replies.run = run
    replies.branch = branch
    return replies


def _ended_early(run: Run, error: BaseException) -> None:
    """Mark `run` over when it ended before its recording was under way (planning it, reading
    its history or saving its first record failed or was cancelled)."""
    if isinstance(error, asyncio.CancelledError):
        run.status = RunStatus.CANCELLED
    else:
        run.status = RunStatus.ERROR
        run.error = run.error or f"{type(error).__name__}: {error}".splitlines()[0]
    run.ended_at = time.time()


async def _history(session: Session, branch: str, input_node: Node | str | None) -> CachedPath:
    if input_node == "head":
        head = await session.head(branch)
        return await session.history(head) if head is not None else EMPTY_PATH
    if input_node is None:
        return EMPTY_PATH
    assert isinstance(input_node, Node)
    return await session.history(input_node)


async def _find_cached(session: Session, fingerprint: str, input_node: str | None) -> Run | None:
    # The most recent finished run of the same agent fingerprint on the same input that
    # produced something; an indexed lookup, not a scan of the session's runs.
    return await session.store.find_run(session.id, fingerprint, input_node, require_output=True)


async def _replay(
    session: Session,
    replies: RecordedReplies,
    channel: ReplyChannel,
    cached: Run,
    landing: Landing,
) -> None:
    replies.run = cached
    replies.cache_hit = True
    for node_hash in cached.output_nodes:
        node = await session.resolve(node_hash)
        message = await session.message(node)
        promise = MessagePromise.from_message(message)
        promise.origin = node.sender
        channel.reply(promise)
        await landing.keep(message, node.sender, cached.id)


class _TimingTape:
    """How one message's text arrived: ``[chars, ms since the previous step]`` per chunk.

    Chunks within the same millisecond join the step before, so a fast local stream stays a
    short record.
    """

    __slots__ = ("_chars", "_last", "_steps")

    def __init__(self) -> None:
        self._last = time.monotonic()
        self._steps: list[list[int]] = []
        self._chars = 0

    def add(self, chunk: str) -> None:
        if not chunk:
            return
        now = time.monotonic()
        ms = round((now - self._last) * 1000)
        self._chars += len(chunk)
        if ms == 0 and self._steps:
            self._steps[-1][0] += len(chunk)
            return
        self._steps.append([len(chunk), ms])
        self._last = now

    def encoded(self, text: str) -> str | None:
        """The record for `text`, the whole streamed text (None if the tape saw more)."""
        missing = len(text) - self._chars
        if missing < 0 or not text:
            return None
        if missing:
            # Pieces that arrived after the last chunk this tape saw (a cancel, a failure).
            self.add(text[-missing:])
        return encode_timings((chars, ms) for chars, ms in self._steps)


def _timing_of(tape: _TimingTape | None, promise: MessagePromise, message: Message) -> str | None:
    # An error's text is not what streamed (that is its partial_text): nothing to replay.
    if tape is None or message.text != promise.text_so_far():
        return None
    return tape.encoded(message.text)


def _cancelled_copy(promise: MessagePromise) -> Message:
    message = promise.partial()
    if getattr(message, "cancelled", False):
        return message
    data = {**message.hashed_fields(), "cancelled": True}
    try:
        return type(message)(**data)
    except Exception:
        return Message(text=message.text, cancelled=True)


async def _record(
    session: Session,
    plan: RunPlan,
    replies: RecordedReplies,
    channel: ReplyChannel,
    *,
    use_cache: bool,
    errors_as_messages: bool | None,
) -> None:
    branch = replies.branch
    run = replies.run
    agent = plan.agent
    inputs: Any
    if plan.input_messages is None:
        history = await _history(session, branch, plan.input_node)
        run.input_node = history.nodes[-1].hash_key if history.nodes else None
        inputs = history.promises
    else:
        assert not isinstance(plan.input_node, str)
        run.input_node = None if plan.input_node is None else plan.input_node.hash_key
        run.input_messages = [message.hash_key for message in plan.input_messages]
        inputs = [MessagePromise.from_message(message) for message in plan.input_messages]
    landing = Landing(session, replies, run.input_node, fresh=plan.fresh_branch)
    if use_cache:
        cached = await _find_cached(session, run.fingerprint, run.input_node)
        if cached is not None:
            try:
                await _replay(session, replies, channel, cached, landing)
            finally:
                replies._recorded.set()
            return
    await session.save_run(run)
    scope = CallScope(
        store=session.store,
        session=session,
        branch=branch,
        session_id=session.id,
        attempt=plan.attempt,
    )
    call = AgentCall(
        agent, plan.kwargs, run=run, scope=scope, errors_as_messages=errors_as_messages
    )
    if inputs:
        call.send(inputs)
    inner = call.reply_sequence()
    outcome = _Outcome()

    async def keep(message: Message, sender: str, timing: str | None = None) -> None:
        try:
            node = await landing.keep(message, sender, run.id)
        except Exception as error:
            # The run says so, and the reply stays reachable when it can be written at all.
            kept = await landing.recover(message, sender, run.id)
            where = f"kept on branch {landing.branch}" if kept else "it is not in the tree"
            outcome.fail(
                run, f"a reply could not be recorded ({type(error).__name__}: {error}); {where}"
            )
            if kept is None:
                return
            node = kept
        run.output_nodes.append(node.hash_key)
        # A run whose last reply is an interrupt waits for an answer (see tools/interrupts.py).
        outcome.waiting = message.role == "interrupt"
        if timing:
            run.timings[node.hash_key] = timing

    # Each reply is handed on the moment it is delivered, so parallel sub-agents stream at once;
    # nodes are still appended in delivery order, each when it (and all before it) resolved.
    in_flight: deque[_Pending] = deque()
    iterator = inner.__aiter__()
    next_reply: asyncio.Future[MessagePromise] | None = asyncio.ensure_future(iterator.__anext__())
    read_directly = False
    try:
        while next_reply is not None or in_flight:
            waiting: set[asyncio.Future[Any]] = set()
            if next_reply is not None:
                waiting.add(next_reply)
            if in_flight and in_flight[0].watch is not None:
                waiting.add(in_flight[0].watch)
            if waiting and not read_directly:
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            read_directly = False
            while in_flight and in_flight[0].ready:
                pending = in_flight.popleft()
                message, timing = pending.outcome(outcome, run)
                await keep(message, pending.sender, timing)
            if next_reply is None or not next_reply.done():
                continue
            try:
                current = next_reply.result()
            except StopAsyncIteration:
                next_reply = None
                continue
            except Exception as error:
                # A failure between messages: recorded in the tree at its position, and still
                # raised to consumers there.
                outcome.fail(run, f"{type(error).__name__}: {error}")
                channel.reply(error)
                in_flight.append(_Pending.failed(ErrorMessage.from_exception(error), agent.alias))
            else:
                channel.reply(current)
                if not current.placed_in_tree:
                    in_flight.append(_Pending.watching(current, current.agent_alias or agent.alias))
                elif not in_flight:
                    # Placed in the tree by its agent (a network's message), and nothing to
                    # watch meanwhile: the next reply is read directly, without a task and a
                    # wait per reply (a network sends thousands).
                    next_reply = None
                    next_reply = await _read_now(iterator)
                    read_directly = True
                    continue
            next_reply = asyncio.ensure_future(iterator.__anext__())
    except asyncio.CancelledError:
        outcome.status = RunStatus.CANCELLED
        if next_reply is not None:
            if next_reply.done() and not next_reply.cancelled() and not next_reply.exception():
                # Delivered just before the cancel reached us: its partial text is kept too.
                late = next_reply.result()
                if not late.placed_in_tree:
                    in_flight.append(_Pending.watching(late, late.agent_alias or agent.alias))
            next_reply.cancel()
        # What arrived is kept: finished replies as they are, the others as cancelled partials.
        while in_flight:
            pending = in_flight.popleft()
            message, timing = pending.outcome(outcome, run)
            await keep(message, pending.sender, timing)
        raise
    finally:
        run.status = outcome.status
        if outcome.status is RunStatus.DONE and outcome.waiting:
            run.status = RunStatus.WAITING
        run.ended_at = time.time()
        replies.same_as_before = landing.fresh and not landing.made and bool(run.output_nodes)
        try:
            await session.save_run(run)
        finally:
            replies._recorded.set()


async def _read_now(iterator: AsyncIterator[MessagePromise]) -> asyncio.Future[MessagePromise]:
    """The next reply as a finished future (its result, or what reading it raised)."""
    future: asyncio.Future[MessagePromise] = asyncio.get_running_loop().create_future()
    try:
        future.set_result(await iterator.__anext__())
    except Exception as error:  # StopAsyncIteration included: the caller reads it as the end
        future.set_exception(error)
    return future


class _Outcome:
    """How the run is going: done, or error with the first failure's text."""

    __slots__ = ("status", "waiting")

    def __init__(self) -> None:
        self.status = RunStatus.DONE
        self.waiting = False

    def fail(self, run: Run, text: str) -> None:
        if self.status is RunStatus.DONE:
            self.status = RunStatus.ERROR
        run.error = run.error or text


class _Pending:
    """A delivered reply not yet in the tree: its promise, its timing tape and the task that
    reads its chunks (or a failure that is already a message)."""

    __slots__ = ("failure", "promise", "sender", "tape", "watch")

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.promise: MessagePromise | None = None
        self.tape: _TimingTape | None = None
        self.watch: asyncio.Task[Message] | None = None
        self.failure: Message | None = None

    @classmethod
    def watching(cls, promise: MessagePromise, sender: str) -> _Pending:
        pending = cls(sender)
        pending.promise = promise
        pending.tape = _TimingTape()
        pending.watch = asyncio.ensure_future(_watch(promise, pending.tape))
        return pending

    @classmethod
    def failed(cls, message: Message, sender: str) -> _Pending:
        pending = cls(sender)
        pending.failure = message
        return pending

    @property
    def ready(self) -> bool:
        return self.watch is None or self.watch.done()

    def outcome(self, outcome: _Outcome, run: Run) -> tuple[Message, str | None]:
        """The message to keep, and its timing record (a reply not finished yet is cut off
        here and kept as a cancelled partial)."""
        if self.failure is not None:
            return self.failure, None
        assert self.promise is not None
        assert self.watch is not None
        watch, promise = self.watch, self.promise
        if not watch.done() or watch.cancelled():
            if not watch.done():
                watch.cancel()
            message = _cancelled_copy(promise)
        else:
            message = watch.result()
        if isinstance(message, ErrorMessage):
            outcome.fail(run, message.text)
        return message, _timing_of(self.tape, promise, message)


async def _watch(promise: MessagePromise, tape: _TimingTape) -> Message:
    """Read a reply's chunks as they arrive (timing them), then its final message.

    One more consumer of the chunks; what other consumers see is unchanged (a promise replays
    to every consumer). A failure becomes an `ErrorMessage` keeping the partial text.
    """
    try:
        async for chunk in promise.chunks():
            tape.add(chunk)
        message: Message = await promise
        return message
    except asyncio.CancelledError:
        raise
    except Exception as error:
        return ErrorMessage.from_exception(error, partial_text=promise.text_so_far())


async def mark_interrupted_runs(session: Session) -> list[Run]:
    """Runs left "running" by a process that is gone now read as interrupted."""
    _, host = this_process()
    changed = []
    for run in await session.runs():
        if run.status is not RunStatus.RUNNING:
            continue
        if run.host == host and run.pid is not None and _alive(run.pid):
            continue
        if run.host is None and run.pid is None:
            continue
        run.status = RunStatus.INTERRUPTED
        run.error = run.error or "the process running it ended before it finished"
        await session.save_run(run)
        changed.append(run)
    return changed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
