"""MiniAgents' `PromisingContext` and `Promise`, as Ramify's with MiniAgents' keywords.

Differences kept from Ramify, on purpose: promises are not `asyncio.Future` subclasses (they
are awaitable and cancellable all the same), and the context logs through the standard
``logging`` hierarchy.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, Self, TypeVar

from ramify.core.promising import Promise as CorePromise
from ramify.core.promising import PromisingContext as CorePromisingContext
from ramify.core.promising import StreamedPromise
from ramify.core.promising.errors import NoActiveContextError

from .sentinels import NO_VALUE, Sentinel, given

__all__ = ["Promise", "PromisingContext", "StreamedPromise"]

T = TypeVar("T")
PromiseResolvedHandler = Callable[[Any, Any], Awaitable[None]]
logger = logging.getLogger("ramify.compat.miniagents")


def handler_list(handlers: Any, what: str) -> list[Any]:
    """One handler or an iterable of them, each checked to be an `async def` function."""
    listed = [handlers] if callable(handlers) else list(handlers)
    for handler in listed:
        if not inspect.iscoroutinefunction(handler):
            raise ValueError(f"{what} handlers must be `async def` functions, got {handler!r}")
    return listed


class MiniAgentsHooks:
    """MiniAgents' context API on top of a Ramify `PromisingContext` (a mixin)."""

    on_promise_resolved_handlers: list[PromiseResolvedHandler]

    def _init_hooks(self, on_promise_resolved: Any) -> None:
        self.on_promise_resolved_handlers = handler_list(on_promise_resolved, "on_promise_resolved")
        assert isinstance(self, CorePromisingContext)
        # Message promises (agent replies, inputs) report through the core hook; the compat
        # `Promise` reports itself.
        self.on_message_resolved.append(self._promise_resolved)

    def on_promise_resolved(self, handler: PromiseResolvedHandler) -> PromiseResolvedHandler:
        """Register an async ``handler(promise, result)`` (a decorator)."""
        self.on_promise_resolved_handlers.extend(handler_list(handler, "on_promise_resolved"))
        return handler

    def _promise_resolved(self, promise: Any, result: Any) -> None:
        assert isinstance(self, CorePromisingContext)
        for handler in self.on_promise_resolved_handlers:
            self.start_task(_call_quietly(handler, promise, result), "on_promise_resolved")

    @classmethod
    def get_current(cls) -> Self:
        """The active context of this type (raises `NoActiveContextError` otherwise)."""
        context = CorePromisingContext.current_or_none()
        if not isinstance(context, cls):
            raise NoActiveContextError(f"no {cls.__name__} is active")
        return context

    def start_soon(self, awaitable: Awaitable[T], suppress_errors: bool = True) -> asyncio.Task[T]:
        """Run `awaitable` in a task this context waits for on exit."""
        assert isinstance(self, CorePromisingContext)

        async def run() -> T:
            try:
                return await awaitable
            except Exception:
                if not suppress_errors:
                    raise
                logger.exception("a task started with start_soon() failed")
                raise

        return self.start_task(run(), "start_soon")

    async def agather(self, *awaitables: Awaitable[Any], return_exceptions: bool = True) -> Any:
        """`asyncio.gather` with exceptions returned by default."""
        return await asyncio.gather(*awaitables, return_exceptions=return_exceptions)

    async def aflush_tasks(self) -> None:
        """Wait until every task started in this context so far has ended."""
        assert isinstance(self, CorePromisingContext)
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.wait(pending)

    async def afinalize(self) -> None:
        """Leave the context (MiniAgents' name for `aclose`)."""
        assert isinstance(self, CorePromisingContext)
        await self.aclose()

    async def arun(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable` inside this context."""
        assert isinstance(self, CorePromisingContext)
        async with self:
            return await awaitable


async def _call_quietly(handler: Callable[..., Awaitable[None]], *args: Any) -> None:
    try:
        await handler(*args)
    except Exception:
        logger.exception("event handler %r failed", handler)


class PromisingContext(MiniAgentsHooks, CorePromisingContext):
    """MiniAgents' `PromisingContext`: like Ramify's, but leaving it waits for every task.

    Args:
        start_everything_soon_by_default: Ramify's ``start_asap``.
        on_promise_resolved: async handlers called with ``(promise, result)``.
        shutdown_timeout: seconds leaving waits before cancelling what still runs; infinite
            by default, as in MiniAgents (Ramify's own default is 10 s).
        appenders_capture_errors_by_default, longer_hash_keys, logger, log_level_for_errors:
            accepted for compatibility; Ramify keeps its own hashes and logs through
            ``logging.getLogger("ramify.*")``.
    """

    def __init__(
        self,
        *,
        start_everything_soon_by_default: bool = True,
        appenders_capture_errors_by_default: bool = False,
        longer_hash_keys: bool | Sentinel = NO_VALUE,
        logger: logging.Logger | None = None,
        log_level_for_errors: int = logging.ERROR,
        on_promise_resolved: Any = (),
        shutdown_timeout: float = math.inf,
    ) -> None:
        super().__init__(
            start_asap=start_everything_soon_by_default, shutdown_timeout=shutdown_timeout
        )
        self.appenders_capture_errors_by_default = appenders_capture_errors_by_default
        self._init_hooks(on_promise_resolved)

    @property
    def start_everything_soon_by_default(self) -> bool:
        """MiniAgents' name for ``start_asap``."""
        return self.start_asap

    def run(self, awaitable: Coroutine[Any, Any, T]) -> T:
        """Run `awaitable` in a fresh event loop inside this context."""
        return asyncio.run(self.arun(awaitable))


class Promise(CorePromise[T], Generic[T]):
    """MiniAgents' `Promise`: a `resolver(promise)` coroutine, or a prefilled value.

    Resolving fires the context's ``on_promise_resolved`` handlers (and, in a `MiniAgents`
    context, persists a resolved `Message`).
    """

    def __init__(
        self,
        *,
        start_soon: bool | Sentinel = NO_VALUE,
        resolver: Callable[[Any], Awaitable[T]] | None = None,
        prefill_result: Any = NO_VALUE,
        prefill_exception: BaseException | None = None,
        loop: Any = None,
    ) -> None:
        prefilled = prefill_result is not NO_VALUE or prefill_exception is not None
        if resolver is not None and prefilled:
            raise ValueError("give either a resolver or a prefilled result/exception, not both")
        if prefill_result is not NO_VALUE and prefill_exception is not None:
            raise ValueError("give either prefill_result or prefill_exception, not both")
        core_resolver = None
        if resolver is not None:
            body = resolver

            async def core_resolver() -> T:
                return await body(self)

        super().__init__(core_resolver, start_asap=given(start_soon))
        if prefill_exception is not None:
            self.set_exception(prefill_exception)
        elif prefill_result is not NO_VALUE:
            self.set_result(prefill_result)

    def set_result(self, value: T) -> None:
        """Resolve with `value` and fire the context's handlers."""
        super().set_result(value)
        context = CorePromisingContext.current_or_none()
        if isinstance(context, MiniAgentsHooks):
            context._promise_resolved(self, value)
