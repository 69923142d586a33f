"""Agent runs recorded as conversation trees: `Session.inquire` and `Session.rerun`.

Each message of an agent's flattened reply becomes a node on the branch, in order, as it
resolves; its sender is the agent that produced it. The same agent fingerprint on the same
input node replays the recorded replies instead of calling the agent (the cache); a rerun
bypasses it and puts its output beside the original, on a new branch.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import TYPE_CHECKING, Any

from .agents import Agent
from .agents.calls import AgentCall
from .agents.context import CallScope
from .errors import NotFound
from .frozen import FrozenMapping, freeze
from .messages import ErrorMessage, Message
from .promising import MessagePromise, MessageSequencePromise, ReplyChannel
from .runs import Run, RunStatus, encode_timings
from .tree import Node

if TYPE_CHECKING:
    from .session import Session

__all__ = ["RecordedReplies", "mark_interrupted_runs", "start_recorded_inquiry"]


class RecordedReplies(MessageSequencePromise):
    """The reply of an agent run on a session branch.

    Attributes:
        run: the `Run` record (for a cache hit, the run whose replies were replayed).
        branch: the branch the replies are appended to.
        cache_hit: True when recorded replies were replayed without calling the agent.
    """

    run: Run
    branch: str
    cache_hit: bool = False
    _recorded: asyncio.Event

    async def recorded(self) -> Run:
        """Wait until every reply is in the tree and the run record is saved; return it.

        Unlike awaiting the replies, this never raises the agent's error or cancellation.
        """
        await self._recorded.wait()
        return self.run


def this_process() -> tuple[int, str]:
    """The pid and host that own runs started here (to tell dead runs from live ones)."""
    return os.getpid(), socket.gethostname()


def start_recorded_inquiry(
    session: Session,
    agent: Agent,
    *,
    branch: str,
    input_node: Node | str | None = "head",
    use_cache: bool,
    errors_as_messages: bool | None,
    kwargs: dict[str, Any],
) -> RecordedReplies:
    """Start `agent` on `branch`'s history and record its replies there; returns at once."""
    frozen_kwargs = FrozenMapping(
        {key: freeze(value, f"{agent.alias}({key}=...)") for key, value in kwargs.items()}
    )
    pid, host = this_process()
    run = Run(
        agent=agent.alias,
        fingerprint=agent.fingerprint(frozen_kwargs),
        session_id=session.id,
        pid=pid,
        host=host,
    )

    async def record(channel: ReplyChannel) -> None:
        await _record(
            session,
            agent,
            replies,
            channel,
            frozen_kwargs=frozen_kwargs,
            input_node=input_node,
            use_cache=use_cache and agent.cache,
            errors_as_messages=errors_as_messages,
        )

    replies = RecordedReplies(record, errors_as_messages=errors_as_messages, name=agent.alias)
    replies._recorded = asyncio.Event()
    replies.run = run
    replies.branch = branch
    return replies


async def _history(session: Session, branch: str, input_node: Node | str | None) -> list[Node]:
    if input_node == "head":
        head = await session.head(branch)
        return await session.path(head) if head is not None else []
    if input_node is None:
        return []
    assert isinstance(input_node, Node)
    return await session.path(input_node)


async def _find_cached(session: Session, fingerprint: str, input_node: str | None) -> Run | None:
    for run in reversed(await session.runs()):
        if (
            run.status is RunStatus.DONE
            and run.fingerprint == fingerprint
            and run.input_node == input_node
            and run.output_nodes
        ):
            return run
    return None


async def _replay(
    session: Session, replies: RecordedReplies, channel: ReplyChannel, cached: Run
) -> None:
    replies.run = cached
    replies.cache_hit = True
    for node_hash in cached.output_nodes:
        node = await session.resolve(node_hash)
        message = await session.message(node)
        promise = MessagePromise.from_message(message)
        promise.origin = node.sender
        channel.reply(promise)
        await session.append(message, sender=node.sender, branch=replies.branch, run_id=cached.id)


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
    agent: Agent,
    replies: RecordedReplies,
    channel: ReplyChannel,
    *,
    frozen_kwargs: FrozenMapping,
    input_node: Node | str | None,
    use_cache: bool,
    errors_as_messages: bool | None,
) -> None:
    branch = replies.branch
    run = replies.run
    history = await _history(session, branch, input_node)
    run.input_node = history[-1].hash_key if history else None
    if use_cache:
        cached = await _find_cached(session, run.fingerprint, run.input_node)
        if cached is not None:
            await _replay(session, replies, channel, cached)
            replies._recorded.set()
            return
    await session.save_run(run)
    messages = await session.messages(history)
    scope = CallScope(store=session.store, session=session, branch=branch, session_id=session.id)
    call = AgentCall(
        agent, frozen_kwargs, run=run, scope=scope, errors_as_messages=errors_as_messages
    )
    if messages:
        call.send(messages)
    inner = call.reply_sequence()
    status = RunStatus.DONE
    current: MessagePromise | None = None
    tape: _TimingTape | None = None

    async def keep(message: Message, sender: str, timing: str | None = None) -> None:
        node = await session.append(message, sender=sender, branch=branch, run_id=run.id)
        run.output_nodes.append(node.hash_key)
        if timing:
            run.timings[node.hash_key] = timing

    try:
        iterator = inner.__aiter__()
        while True:
            try:
                current = await iterator.__anext__()
            except StopAsyncIteration:
                break
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A failure between messages: recorded in the tree, still raised to consumers
                # at the same position.
                status = RunStatus.ERROR
                run.error = f"{type(error).__name__}: {error}"
                await keep(ErrorMessage.from_exception(error), agent.alias)
                channel.reply(error)
                current = None
                continue
            channel.reply(current)
            sender = current.agent_alias or agent.alias
            tape = _TimingTape()
            try:
                # One more consumer of the chunks, to time them for replay; what other
                # consumers see is unchanged (a promise replays to every consumer).
                async for chunk in current.chunks():
                    tape.add(chunk)
                message = await current
            except asyncio.CancelledError:
                raise
            except Exception as error:
                status = RunStatus.ERROR
                run.error = f"{type(error).__name__}: {error}"
                message = ErrorMessage.from_exception(error, partial_text=current.text_so_far())
            if isinstance(message, ErrorMessage):
                status = RunStatus.ERROR
                run.error = run.error or message.text
            await keep(message, sender, _timing_of(tape, current, message))
            current = tape = None
    except asyncio.CancelledError:
        status = RunStatus.CANCELLED
        if current is not None:
            partial = _cancelled_copy(current)
            alias = current.agent_alias or agent.alias
            await keep(partial, alias, _timing_of(tape, current, partial))
        raise
    finally:
        run.status = status
        run.ended_at = time.time()
        try:
            await session.save_run(run)
        finally:
            replies._recorded.set()


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


async def resolve_rerun(session: Session, node: Node, agent: Agent | None) -> tuple[Run, Agent]:
    """The run that produced `node`, and the agent to run again (given, or the same alias)."""
    if node.run_id is None:
        raise NotFound(f"node {node.hash_key[:12]} was not produced by an agent run")
    run = await session.get_run(node.run_id)
    if agent is not None:
        return run, agent
    known = session.known_agent(run.agent)
    if known is None:
        raise NotFound(f"agent {run.agent} is not loaded in this process; pass agent= to rerun it")
    return run, known
