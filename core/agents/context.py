"""`InteractionContext`: what an agent function sees of its call, and the recording scope."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, Self

from ..messages import Message
from ..promising import MessageSequencePromise, NoActiveContextError, ReplyChannel
from ..runs import Run
from ..tree import Node

if TYPE_CHECKING:
    from .agent import Agent
    from .calls import AgentCall

__all__ = ["CallScope", "InteractionContext", "RunStore"]


class RunStore(Protocol):
    """The part of the `Store` interface the agents layer records runs through."""

    async def put_run(self, run: Run) -> None: ...

    async def put_nodes(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message] = (),
        *,
        session_id: str | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class CallScope:
    """Where calls made in the current task are recorded, and on which session branch.

    Captured when a call is created (not when it starts), so a lazy call started by some
    other consumer still records under the caller that made it.
    """

    store: RunStore | None = None
    session: Any = None
    branch: str | None = None
    session_id: str | None = None
    parent_run_id: str | None = None
    attempt: int = 0

    def child(self, run_id: str | None) -> CallScope:
        """The scope for calls made inside the call recorded as `run_id`."""
        return replace(self, parent_run_id=run_id) if run_id is not None else self


_current_scope: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar(
    "ramify_call_scope", default=None
)
_current_interaction: contextvars.ContextVar[InteractionContext | None] = contextvars.ContextVar(
    "ramify_interaction", default=None
)


def current_scope() -> CallScope | None:
    """The recording scope of the calling task, if any."""
    return _current_scope.get()


class InteractionContext:
    """The `ctx` an agent function receives: its input, its reply lanes, and where it runs.

    Attributes:
        this_agent: the agent being called.
        message_promises: the input, a `MessageSequencePromise` (it may still be streaming).
        session: the `Session` the call runs on, or None.
        branch: the branch of that session, or None.
        run: the `Run` record of this call when it is recorded, else None.
    """

    def __init__(
        self,
        this_agent: Agent,
        message_promises: MessageSequencePromise,
        channel: ReplyChannel,
        scope: CallScope,
        run: Run | None,
    ) -> None:
        self.this_agent = this_agent
        self.message_promises = message_promises
        self.run = run
        self._channel = channel
        self._scope = scope
        self._child_calls: list[AgentCall] = []

    @property
    def session(self) -> Any:
        """The session this call runs on (None outside `Session.inquire`)."""
        return self._scope.session

    @property
    def branch(self) -> str | None:
        """The session branch this call runs on, if any."""
        return self._scope.branch

    @property
    def attempt(self) -> int:
        """0 for a first run; N for the Nth rerun of the same agent on the same input (an
        offline model can vary its reply by it, so a rerun shows a sibling)."""
        return self._scope.attempt

    @property
    def errors_as_messages(self) -> bool:
        """Whether this call's failures become `ErrorMessage`s (per call, else the runtime's)."""
        return bool(self._channel.sequence._errors_as_messages)

    @classmethod
    def current(cls) -> InteractionContext:
        """The context of the agent running in the calling task."""
        context = _current_interaction.get()
        if context is None:
            raise NoActiveContextError("no agent is running in this task")
        return context

    def reply(self, messages: Any) -> Self:
        """Append replies in order: str, dict, Message, promises, sequences, iterables."""
        self._channel.reply(messages)
        return self

    def reply_out_of_order(self, messages: Any) -> Self:
        """Deliver replies as soon as they are ready, ahead of pending ordered ones."""
        self._channel.reply_out_of_order(messages)
        return self

    def record_usage(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost: float | None = None,
    ) -> None:
        """Add provider-reported usage to this call's run (a no-op when not recorded)."""
        if self.run is None:
            return
        usage = self.run.usage
        if input_tokens is not None:
            usage.input_tokens = (usage.input_tokens or 0) + input_tokens
        if output_tokens is not None:
            usage.output_tokens = (usage.output_tokens or 0) + output_tokens
        if cost is not None:
            usage.cost = (usage.cost or 0.0) + cost

    def mark_first_token(self) -> None:
        """Note the time the first token arrived (once per run)."""
        if self.run is not None and self.run.first_token_at is None:
            self.run.first_token_at = time.time()

    def _adopt(self, call: AgentCall) -> None:
        self._child_calls.append(call)

    def _finish_child_calls(self) -> None:
        # A child call whose input was never finished would leave its agent waiting for
        # more input forever; close them all when this agent is done.
        for call in self._child_calls:
            call.finish()
