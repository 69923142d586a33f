"""MiniAgents' agents API (`miniagent`, `MiniAgents`, `InteractionContext`, `AgentCall`)
as adapters over Ramify's `agent`, `Ramify`, `InteractionContext` and `AgentCall`.

Both the names of MiniAgents 0.1 (`trigger`, `initiate_call`, `send_message`, `start_soon`,
`make_sure_to_wait`, `await_now`, batch `on_persist_messages`) and the older 0.0.x ones
(`inquire`, `initiate_inquiry`, `kick_off`, `start_asap`, `wait_for`, `await_for_subtasks`,
`reply_urgently`, per-message `on_persist_message`) are accepted.

Leaving a `MiniAgents` context waits for every agent that was started, however long it
runs, as MiniAgents does: a fire-and-forget ``agent_loop.trigger(...)`` keeps running until it
ends instead of being cancelled after Ramify's 10 s shutdown timeout. Pass
``shutdown_timeout=`` to bound the wait again.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, ClassVar, Self, TypeVar, overload

from pydantic import PrivateAttr

from ramify.core.agents import Agent, Ramify
from ramify.core.agents import AgentCall as CoreAgentCall
from ramify.core.agents import InteractionContext as CoreInteractionContext
from ramify.core.agents.agent import _describe, _freeze_kwargs, _function_name, default_alias
from ramify.core.frozen import FrozenMapping, UnfreezableValueError, freeze
from ramify.core.messages import Message as CoreMessage
from ramify.core.promising import MessageSequencePromise

from .messages import Message, to_message_items
from .promising.ext.frozen import Frozen, freeze_value
from .promising.promising import MiniAgentsHooks, handler_list
from .promising.sentinels import NO_VALUE, Sentinel, given

__all__ = [
    "AgentCall",
    "AgentCallNode",
    "AgentInteractionNode",
    "AgentReplyNode",
    "InteractionContext",
    "MiniAgent",
    "MiniAgents",
    "__version__",
    "miniagent",
]

__version__ = "0.1.0a1"
"""The MiniAgents API version these adapters follow."""

T = TypeVar("T")
logger = logging.getLogger("ramify.compat.miniagents")


class AgentInteractionNode(Message):
    """MiniAgents' provenance node (kept for imports; Ramify records `Run`s instead)."""

    type_tag: ClassVar[str] = "miniagents.AgentInteractionNode"


class AgentCallNode(AgentInteractionNode):
    """See `AgentInteractionNode`."""

    type_tag: ClassVar[str] = "miniagents.AgentCallNode"


class AgentReplyNode(AgentInteractionNode):
    """See `AgentInteractionNode`."""

    type_tag: ClassVar[str] = "miniagents.AgentReplyNode"


class _Boxed(Frozen):
    """A kwarg value Ramify's core cannot freeze (a `datetime`, `UUID` ... MiniAgents accepts
    them), carried through the core call inside a compat `Frozen` and unboxed for the agent."""

    type_tag: ClassVar[str] = "miniagents.kwarg"
    value: Any


def _boxed_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Agent kwargs frozen the MiniAgents way (dicts become `Frozen`), boxed where needed."""
    boxed = {}
    for key, value in kwargs.items():
        frozen = freeze_value(value, key)
        try:
            freeze(frozen, key)
        except UnfreezableValueError:
            frozen = _Boxed(value=frozen)
        boxed[key] = frozen
    return boxed


def _unboxed(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value.value if isinstance(value, _Boxed) else value for key, value in kwargs.items()
    }


class MiniAgents(MiniAgentsHooks, Ramify):
    """MiniAgents' global context: Ramify's runtime with MiniAgents' keywords and exit.

    Args:
        start_everything_soon_by_default: Ramify's ``start_asap``.
        errors_as_messages, error_tracebacks_in_messages: as in Ramify.
        on_persist_messages: async ``handler(messages)`` (a batch: a message's nested
            messages, then itself), called once per message instance, as in MiniAgents.
        on_persist_message: the 0.0.x per-message form, ``handler(promise, message)``.
        on_promise_resolved: async ``handler(promise, result)``.
        shutdown_timeout: seconds leaving waits for running agents before cancelling them;
            infinite by default (MiniAgents waits for every started agent).
        store: a Ramify store to record every call as a `Run`.
        Other MiniAgents keywords (``llm_logger_agent``, ``log_reduced_tracebacks``,
        ``logger``, ``longer_hash_keys`` ...) are accepted and have no effect.
    """

    def __init__(
        self,
        *,
        stream_llm_tokens_by_default: bool = True,
        llm_logger_agent: Any = False,
        on_persist_messages: Any = (),
        on_persist_message: Any = (),
        on_promise_resolved: Any = (),
        errors_as_messages: bool = False,
        error_tracebacks_in_messages: bool = False,
        log_reduced_tracebacks: bool = True,
        await_reply_persistence_before_agent_finish: bool = False,
        logger: logging.Logger | None = None,
        start_everything_soon_by_default: bool = True,
        appenders_capture_errors_by_default: bool = False,
        longer_hash_keys: bool | Sentinel = NO_VALUE,
        log_level_for_errors: int = logging.ERROR,
        shutdown_timeout: float = math.inf,
        store: Any = None,
    ) -> None:
        super().__init__(
            store=store,
            errors_as_messages=errors_as_messages,
            error_tracebacks_in_messages=error_tracebacks_in_messages,
            start_asap=start_everything_soon_by_default,
            shutdown_timeout=shutdown_timeout,
        )
        self.stream_llm_tokens_by_default = stream_llm_tokens_by_default
        self.appenders_capture_errors_by_default = appenders_capture_errors_by_default
        self.on_persist_messages_handlers = handler_list(on_persist_messages, "on_persist_messages")
        self.on_persist_message_handlers = handler_list(on_persist_message, "on_persist_message")
        # Persisted once per message *instance*, as MiniAgents does (two equal messages built
        # apart are two persist events; handlers should be idempotent by hash key).
        self._persisted_instances: weakref.WeakValueDictionary[int, CoreMessage] = (
            weakref.WeakValueDictionary()
        )
        self._init_hooks(on_promise_resolved)

    @property
    def start_everything_soon_by_default(self) -> bool:
        """MiniAgents' name for ``start_asap``."""
        return self.start_asap

    def on_persist_messages(self, handler: Callable[[Any], Awaitable[None]]) -> Any:
        """Register an async batch ``handler(messages)`` (a decorator)."""
        self.on_persist_messages_handlers.extend(handler_list(handler, "on_persist_messages"))
        return handler

    def on_persist_message(self, handler: Any) -> Any:
        """Register an async per-message ``handler(promise, message)`` (0.0.x; a decorator)."""
        self.on_persist_message_handlers.extend(handler_list(handler, "on_persist_message"))
        return handler

    def _promise_resolved(self, promise: Any, result: Any) -> None:
        super()._promise_resolved(promise, result)
        if isinstance(result, CoreMessage) and (
            self.on_persist_messages_handlers or self.on_persist_message_handlers
        ):
            batch = self._not_yet_persisted(result)
            if batch:
                self.start_task(self._persist_batch(promise, batch), "on_persist_messages")

    def _not_yet_persisted(self, message: CoreMessage) -> list[CoreMessage]:
        nested = list(message.sub_messages()) if isinstance(message, Message) else []
        batch = []
        for candidate in [*nested, message]:
            if self._persisted_instances.get(id(candidate)) is not candidate:
                self._persisted_instances[id(candidate)] = candidate
                batch.append(candidate)
        return batch

    async def _persist_batch(self, promise: Any, batch: list[CoreMessage]) -> None:
        for handler in self.on_persist_messages_handlers:
            try:
                await handler(batch)
            except Exception:
                logger.exception("on_persist_messages handler %r failed", handler)
        for handler in self.on_persist_message_handlers:
            for message in batch:
                try:
                    await handler(promise, message)
                except Exception:
                    logger.exception("on_persist_message handler %r failed", handler)

    async def apersist_messages(
        self,
        message_or_messages: Any,
        extend_with_sub_messages: bool = True,
        parallelise_handlers: bool = False,
        raise_on_error: bool = True,
    ) -> list[CoreMessage]:
        """Persist now (e.g. inside a transaction); the automatic path then skips them."""
        given_messages = (
            [message_or_messages]
            if isinstance(message_or_messages, CoreMessage)
            else list(message_or_messages)
        )
        batch: list[CoreMessage] = []
        for message in given_messages:
            if extend_with_sub_messages:
                batch.extend(self._not_yet_persisted(message))
            elif self._persisted_instances.get(id(message)) is not message:
                self._persisted_instances[id(message)] = message
                batch.append(message)
        if batch:
            for handler in self.on_persist_messages_handlers:
                try:
                    await handler(batch)
                except Exception:
                    if raise_on_error:
                        raise
                    logger.exception("on_persist_messages handler %r failed", handler)
        return batch

    def run(self, awaitable: Coroutine[Any, Any, T]) -> T:
        """Run `awaitable` in a fresh event loop inside this context; return its result."""
        return asyncio.run(self.arun(awaitable))

    def run_agent(self, agent: MiniAgent, messages: Any = None, **kwargs: Any) -> tuple[Any, ...]:
        """Run `agent` to the end in a fresh event loop; return its reply messages."""

        async def main() -> tuple[Any, ...]:
            return await agent.trigger(messages, **kwargs)

        return self.run(main())


class InteractionContext(CoreInteractionContext):
    """What a MiniAgents agent function receives: Ramify's context plus MiniAgents' names.

    Built as a view sharing the Ramify context's state, so both stay one object in effect.
    """

    _waits: list[Awaitable[Any]]

    @classmethod
    def of(cls, core: CoreInteractionContext) -> InteractionContext:
        """The MiniAgents view of Ramify's context `core` (same state)."""
        view = cls.__new__(cls)
        view.__dict__ = core.__dict__
        view.__dict__.setdefault("_waits", [])
        return view

    def reply(self, messages: Any, out_of_order: bool = False) -> Self:
        """Reply in order (bare strings become `TextMessage`s)."""
        if out_of_order:
            return self.reply_out_of_order(messages)
        super().reply(to_message_items(messages))
        return self

    def reply_out_of_order(self, messages: Any) -> Self:
        """Reply as soon as ready, ahead of pending ordered replies."""
        super().reply_out_of_order(to_message_items(messages))
        return self

    reply_urgently = reply_out_of_order

    def make_sure_to_wait(
        self, awaitable: Awaitable[Any], start_soon_if_coroutine: bool = True
    ) -> None:
        """The agent's replies end only after `awaitable` has ended."""
        if start_soon_if_coroutine and inspect.iscoroutine(awaitable):
            awaitable = asyncio.ensure_future(awaitable)
        self._waits.append(awaitable)

    wait_for = make_sure_to_wait

    async def await_now(self, suppress_deadlock_warning: bool = False) -> None:
        """Wait for everything passed to `make_sure_to_wait` so far."""
        while self._waits:
            waits, self._waits[:] = list(self._waits), []
            await asyncio.gather(*waits, return_exceptions=True)

    await_for_subtasks = await_now

    async def afinish_early(self, make_sure_to_wait: bool = True) -> None:
        """End the reply sequence now; the agent may go on (replies after this fail)."""
        if make_sure_to_wait:
            await self.await_now()
        self._finish_child_calls()
        self._channel.close()

    finish_early = afinish_early

    def get_agent_trace(self) -> list[Agent]:
        """The agent being run (Ramify records the full call tree as `Run`s)."""
        return [self.this_agent]

    @classmethod
    def get_current(cls) -> InteractionContext:
        """The context of the agent running in the calling task."""
        return cls.of(CoreInteractionContext.current())


class AgentCall:
    """A call in progress: `send_message()` input, read `reply_sequence()`, `finish()`."""

    def __init__(self, call: CoreAgentCall) -> None:
        self._call = call

    @property
    def agent(self) -> Agent:
        """The agent being called."""
        return self._call.agent

    @property
    def is_finished(self) -> bool:
        """True once no more input can be sent."""
        return self._call.is_finished

    def send_message(self, messages: Any, out_of_order: bool = False) -> Self:
        """Send more input (bare strings become `TextMessage`s)."""
        self._call.send(to_message_items(messages))
        return self

    send_out_of_order = send_message

    def reply_sequence(self, finish_call: bool = True) -> MessageSequencePromise:
        """The replies; by default this also finishes the input."""
        return self._call.reply_sequence(finish=finish_call)

    def finish(self) -> Self:
        """No more input."""
        self._call.finish()
        return self


class MiniAgent(Agent):
    """An agent with MiniAgents' methods (`trigger`, `initiate_call`, `fork` ...)."""

    type_tag: ClassVar[str] = "miniagents.MiniAgent"

    _wrapped: Any = PrivateAttr(default=None)

    def __repr__(self) -> str:
        return f"<MiniAgent {self.alias}>"

    @property
    def wrapped_func_or_class(self) -> Any:
        """The function or class the agent was made of."""
        return self._wrapped

    def trigger(
        self,
        messages: Any = None,
        *,
        start_soon: bool | Sentinel | None = NO_VALUE,
        errors_as_messages: bool | Sentinel | None = NO_VALUE,
        start_asap: bool | None = None,
        **kwargs_to_freeze: Any,
    ) -> MessageSequencePromise:
        """Send `messages` and return the reply sequence at once (the agent runs in the
        background, from the next task switch unless ``start_soon=False``)."""
        call = self.initiate_call(
            start_soon=start_soon,
            errors_as_messages=errors_as_messages,
            start_asap=start_asap,
            **kwargs_to_freeze,
        )
        if messages is not None:
            call.send_message(messages)
        return call.reply_sequence()

    def inquire(self, messages: Any = None, **kwargs: Any) -> MessageSequencePromise:
        """0.0.x name of `trigger` (Ramify's chains call it too)."""
        return self.trigger(messages, **kwargs)

    def kick_off(self, messages: Any = None, **kwargs: Any) -> MessageSequencePromise:
        """0.0.x: `trigger` with ``start_soon=True``."""
        return self.trigger(messages, start_soon=True, **kwargs)

    def initiate_call(
        self,
        *,
        start_soon: bool | Sentinel | None = NO_VALUE,
        errors_as_messages: bool | Sentinel | None = NO_VALUE,
        start_asap: bool | None = None,
        **kwargs_to_freeze: Any,
    ) -> AgentCall:
        """Start a call whose input is sent piece by piece (full duplex)."""
        start = given(start_soon)
        return AgentCall(
            self.call(
                start_asap=start if start is not None else start_asap,
                errors_as_messages=given(errors_as_messages),
                **_boxed_kwargs(kwargs_to_freeze),
            )
        )

    def initiate_inquiry(self, **kwargs: Any) -> AgentCall:
        """0.0.x name of `initiate_call`."""
        return self.initiate_call(**kwargs)

    def fork(
        self,
        alias: str | None = None,
        description: str | None = None,
        *,
        non_freezable_kwargs: Mapping[str, Any] | None = None,
        cache: bool | None = None,
        interaction_metadata: Any = None,
        mutable_state: Mapping[str, Any] | None = None,
        **kwargs_to_freeze: Any,
    ) -> MiniAgent:
        """A copy with `kwargs_to_freeze` merged over this agent's (call-time kwargs win)."""
        new_alias = alias or self.alias
        return _make(
            self._wrapped,
            self._target,
            alias=new_alias,
            description=description if description is not None else self.description,
            kwargs={**self.params, **_freeze_kwargs(_boxed_kwargs(kwargs_to_freeze), new_alias)},
            non_freezable={
                **self._non_freezable,
                **(mutable_state or {}),
                **(non_freezable_kwargs or {}),
            },
            cache=self._cache if cache is None else cache,
        )

    @classmethod
    def adopt(cls, agent: Agent, alias: str | None = None) -> MiniAgent:
        """A Ramify agent (whose function takes Ramify's context) with MiniAgents' methods."""
        return _make(
            agent.target,
            agent.target,
            alias=alias or agent.alias,
            description=agent.description,
            kwargs=agent.params,
            non_freezable=agent._non_freezable,
            cache=agent.cache,
        )


def _make(
    wrapped: Any,
    target: Any,
    *,
    alias: str,
    description: str | None,
    kwargs: Mapping[str, Any],
    non_freezable: Mapping[str, Any],
    cache: bool,
) -> MiniAgent:
    made = MiniAgent(
        alias=alias,
        function=_function_name(wrapped),
        params=FrozenMapping(kwargs),
        description=description,
    )
    made._target = target
    made._wrapped = wrapped
    made._non_freezable = dict(non_freezable)
    made._cache = cache
    return made


def _adapted(func_or_class: Any) -> Callable[..., Awaitable[None]]:
    """The function Ramify calls: it hands the agent MiniAgents' context, and waits for what
    the agent asked to wait for before its replies end."""
    if inspect.isclass(func_or_class):
        if not inspect.iscoroutinefunction(getattr(func_or_class, "__call__", None)):  # noqa: B004
            raise TypeError(f"agent class {func_or_class.__qualname__} needs `async def __call__`")

        async def run_class(ctx: CoreInteractionContext, **kwargs: Any) -> None:
            view = InteractionContext.of(ctx)
            factory: Callable[..., Any] = func_or_class
            await factory(ctx=view, **_unboxed(kwargs))()
            await view.await_now()

        return run_class
    if not inspect.iscoroutinefunction(func_or_class):
        raise TypeError(f"@miniagent needs an `async def` function, got {func_or_class!r}")

    @functools.wraps(func_or_class)
    async def run_function(ctx: CoreInteractionContext, **kwargs: Any) -> None:
        view = InteractionContext.of(ctx)
        await func_or_class(view, **_unboxed(kwargs))
        await view.await_now()

    return run_function


@overload
def miniagent(func_or_class: Callable[..., Any], /) -> MiniAgent: ...


@overload
def miniagent(
    func_or_class: None = None,
    /,
    *,
    alias: str | None = None,
    description: str | None = None,
    **options: Any,
) -> Callable[[Callable[..., Any]], MiniAgent]: ...


def miniagent(
    func_or_class: Callable[..., Any] | None = None,
    /,
    *,
    alias: str | None = None,
    description: str | None = None,
    normalize_func_or_class_name: bool = True,
    normalize_spaces_in_docstring: bool = True,
    await_reply_persistence: Any = NO_VALUE,
    interaction_metadata: Any = None,
    non_freezable_kwargs: Mapping[str, Any] | None = None,
    mutable_state: Mapping[str, Any] | None = None,
    **kwargs_to_freeze: Any,
) -> MiniAgent | Callable[[Callable[..., Any]], MiniAgent]:
    """Make a `MiniAgent` of an ``async def fn(ctx, **kwargs)`` or a class with an async
    ``__call__`` (bare or with arguments), as MiniAgents' decorator does."""

    def decorate(target: Callable[..., Any]) -> MiniAgent:
        name = alias or (
            default_alias(target.__name__) if normalize_func_or_class_name else target.__name__
        )
        return _make(
            target,
            _adapted(target),
            alias=name,
            description=_describe(target, name, description),
            kwargs=_freeze_kwargs(_boxed_kwargs(kwargs_to_freeze), name),
            non_freezable={**(mutable_state or {}), **(non_freezable_kwargs or {})},
            cache=True,
        )

    if func_or_class is not None:
        return decorate(func_or_class)
    return decorate
