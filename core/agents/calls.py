"""`AgentCall`: one call of an agent, its input channel, its replies and its run record."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Self

from ..frozen import FrozenMapping
from ..messages import Message
from ..promising import (
    MessagePromise,
    MessageSequencePromise,
    PromisingContext,
    ReplyChannel,
    SharedMessagePromise,
)
from ..runs import Run, RunStatus
from .context import (
    CallScope,
    InteractionContext,
    RunStore,
    _current_interaction,
    _current_scope,
)
from .runtime import Ramify

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["AgentCall", "AgentReplies"]

logger = logging.getLogger("ramify.agents")


class AgentReplies(MessageSequencePromise):
    """The reply sequence of one agent call; knows which agent it speaks for."""

    agent_alias: str = ""

    def _adopt(self, promise: MessagePromise) -> MessagePromise:
        # Delivery here stamps the promise with this agent (its `origin`): a shared history
        # promise forwarded as a reply is stamped on a copy, never in everyone's history.
        if isinstance(promise, SharedMessagePromise):
            promise = promise.private_copy()
        # The first agent reply a promise is delivered into is the agent that produced it; the
        # outer replies it is forwarded through keep that name.
        if promise.origin is None:
            promise.origin = self.agent_alias
        return promise


def _message_factory(item: str | dict[str, Any]) -> Message:
    if isinstance(item, str):
        return Message(text=item)
    return Message(**item)


class AgentCall:
    """A call in progress: `send()` input (any number of times), read `reply_sequence()`.

    ``reply_sequence(finish=False)`` allows full duplex: send, read a reply, send again; call
    `finish()` when there is no more input. Calls left open are finished when the calling
    agent returns.
    """

    def __init__(
        self,
        agent: Agent,
        kwargs: FrozenMapping,
        *,
        start_asap: bool | None = None,
        errors_as_messages: bool | None = None,
        run: Run | None = None,
        scope: CallScope | None = None,
    ) -> None:
        self.agent = agent
        self._kwargs = kwargs
        self._run = run
        self._scope = scope if scope is not None else (_current_scope.get() or _default_scope())
        self._input, self._input_channel = MessageSequencePromise.with_channel(
            errors_as_messages=False, name=f"{agent.alias}:input"
        )
        self._finished = False
        replies = AgentReplies(
            self._produce,
            start_asap=start_asap,
            errors_as_messages=errors_as_messages,
            message_factory=_message_factory,
            name=agent.alias,
        )
        replies.agent_alias = agent.alias
        self._replies = replies
        caller = _current_interaction.get()
        if caller is not None:
            caller._adopt(self)
        else:
            runtime = PromisingContext.current_or_none()
            if isinstance(runtime, Ramify):
                runtime._adopt_call(self)

    @property
    def is_finished(self) -> bool:
        """True once no more input can be sent."""
        return self._finished

    def send(self, messages: Any) -> Self:
        """Send more input (anything a reply accepts)."""
        self._input_channel.reply(messages)
        return self

    def finish(self) -> None:
        """No more input: the agent's `message_promises` ends after what was sent."""
        if not self._finished:
            self._finished = True
            self._input_channel.close()

    def reply_sequence(self, *, finish: bool = True) -> MessageSequencePromise:
        """The replies; by default this also finishes the input."""
        if finish:
            self.finish()
        return self._replies

    async def _produce(self, channel: ReplyChannel) -> None:
        agent = self.agent
        scope = self._scope
        run = self._run
        if run is None and scope.store is not None:
            run = Run(
                agent=agent.alias,
                fingerprint=agent.fingerprint(self._kwargs),
                session_id=scope.session_id,
                parent_run_id=scope.parent_run_id,
            )
            await scope.store.put_run(run)
        owns_run = self._run is None and run is not None
        if scope.session is not None:
            scope.session.remember_agent(agent)
        ctx = InteractionContext(
            agent, self._input, channel, scope.child(run.id if run else None), run
        )
        _current_scope.set(ctx._scope)
        _current_interaction.set(ctx)
        status = RunStatus.DONE
        error_text: str | None = None
        try:
            await _invoke(agent, ctx, agent.merged_kwargs(self._kwargs))
        except asyncio.CancelledError:
            status = RunStatus.CANCELLED
            raise
        except BaseException as error:
            status = RunStatus.ERROR
            error_text = f"{type(error).__name__}: {error}"
            raise
        finally:
            ctx._finish_child_calls()
            if owns_run and run is not None and scope.store is not None:
                run.status = status
                run.error = error_text
                run.ended_at = time.time()
                # In a session, the input it was given is kept, so it can be rerun on its own.
                given = self._input if scope.session is not None else None
                await _save_quietly(scope.store, run, given)


async def _save_quietly(store: RunStore, run: Run, given: MessageSequencePromise | None) -> None:
    # Runs a finally block, possibly while the task is being cancelled: the record is
    # best effort, and a run left "running" reads as interrupted on the next open.
    try:
        if given is not None and given.done() and not given.cancelled():
            messages = await given
            await store.put_nodes((), messages)
            run.input_messages = [message.hash_key for message in messages]
    except Exception:
        logger.warning("could not record the input of run %s", run.id)
    try:
        await store.put_run(run)
    except Exception:
        logger.warning("could not record run %s", run.id)


async def _invoke(agent: Agent, ctx: InteractionContext, kwargs: Mapping[str, Any]) -> None:
    target: Any = agent.target
    if inspect.isclass(target):
        factory: Callable[..., Any] = target
        instance = factory(ctx=ctx, **kwargs)
        await instance()
    else:
        await target(ctx, **kwargs)


def _default_scope() -> CallScope:
    runtime = PromisingContext.current_or_none()
    store = getattr(runtime, "store", None)
    return CallScope(store=store)
