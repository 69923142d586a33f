"""Watching a workflow run as it goes: task status events, and tokens a task streams.

`run_workflow(..., watcher=)` calls the watcher (on the event loop, in order) with a
`TaskEvent` each time a task changes status, and a `TaskTokens` for each piece of text a
task streams. A task streams by asking for ``tokens: TokenSink = Depends(token_sink)`` and
calling ``tokens.put(text)``; with no watcher (or outside a run) the text goes nowhere. The
streamed text is for showing live only: the task's output node is what it returns.

Statuses, per task and state execution: `PENDING` as its state starts, `WAITING` while it
waits on upstream tasks (only a task that has some), `RUNNING` per attempt, then `DONE`
(with its output node), `FAILED` (after the last attempt, with its error node) or
`CANCELLED`. `WAITING` with a `node` is a task stopped at a breakpoint (the node is its
interrupt, see `breakpoints`): the run ends waiting for an answer.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "TaskEvent",
    "TaskStatus",
    "TaskTokens",
    "TokenSink",
    "WorkflowWatcher",
    "token_sink",
]


class TaskStatus(StrEnum):
    """Where a task execution is."""

    PENDING = "pending"
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """A task changed status. `node` is its output (or error) node's hash once it has one."""

    workflow: str
    state: str
    task: str
    status: TaskStatus
    run_id: str | None = None
    attempt: int = 0
    node: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TaskTokens:
    """Text the running attempt `run_id` of a task streamed."""

    workflow: str
    state: str
    task: str
    run_id: str
    text: str


WorkflowWatcher = Callable[[TaskEvent | TaskTokens], None]
"""Called on the event loop with every event of a run, in the order they happened."""

# The running attempt's way to emit its tokens. Each task runs in its own asyncio task (and a
# sync one in a thread with a copy of that context), so one sink object routes each task's
# text to that task.
_emit: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "ramify_workflow_token_emit", default=None
)


class TokenSink:
    """Where a task puts the text it streams; it reaches the watcher as `TaskTokens`."""

    __slots__ = ()

    def put(self, text: str) -> None:
        """Stream `text` from the task that calls this (from its thread too, if sync)."""
        emit = _emit.get()
        if emit is not None and text:
            emit(text)


_SINK = TokenSink()


def token_sink() -> TokenSink:
    """Dependency factory: ``tokens: TokenSink = Depends(token_sink)``."""
    return _SINK


def bind_tokens(
    watcher: WorkflowWatcher | None,
    event: Callable[[str], TaskTokens],
    loop: asyncio.AbstractEventLoop,
) -> contextvars.Token[Callable[[str], None] | None]:
    """Route this context's `TokenSink.put` to `watcher` (thread-safe); returns the reset."""
    if watcher is None:
        return _emit.set(None)
    owner = threading.get_ident()

    def emit(text: str) -> None:
        if threading.get_ident() == owner:
            watcher(event(text))
        else:  # a sync task in its worker thread: the watcher only ever runs on the loop
            loop.call_soon_threadsafe(watcher, event(text))

    return _emit.set(emit)


def reset_tokens(token: contextvars.Token[Callable[[str], None] | None]) -> None:
    """Undo `bind_tokens`."""
    _emit.reset(token)
