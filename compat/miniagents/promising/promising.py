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
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from ramify.core.promising import Promise as CorePromise
from ramify.core.promising import PromisingContext as CorePromisingContext
from ramify.core.promising import StreamedPromise as CoreStreamedPromise
from ramify.core.promising.errors import (
    AppenderClosedError,
    AppenderNotOpenError,
    NoActiveContextError,
)

from .sentinels import NO_VALUE, Sentinel, given

__all__ = ["Promise", "PromisingContext", "StreamAppender", "StreamedPromise"]

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


class _Raised:
    """An exception captured by an appender, kept apart from exception-valued pieces."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


class StreamAppender(Generic[T]):
    """Push pieces into a `StreamedPromise`: ``with appender: appender.append(piece)``.

    Leaving the ``with`` block ends the stream. An exception raised inside it is put at the
    end of the stream and swallowed when `capture_errors` is on (default: the context's
    ``appenders_capture_errors_by_default``); otherwise the stream just ends there and the
    exception goes on.
    """

    def __init__(self, capture_errors: bool | Sentinel = NO_VALUE) -> None:
        capture = given(capture_errors)
        if capture is None:
            context = CorePromisingContext.current_or_none()
            capture = bool(getattr(context, "appenders_capture_errors_by_default", False))
        self.capture_errors: bool = capture
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._state = "new"

    @property
    def was_open(self) -> bool:
        """True once opened (even if closed since)."""
        return self._state != "new"

    @property
    def is_open(self) -> bool:
        """True between `open()` and `close()`."""
        return self._state == "open"

    def open(self) -> Self:
        """Start accepting pieces."""
        if self._state != "new":
            raise AppenderClosedError(f"this {type(self).__name__} was opened before")
        self._state = "open"
        return self

    def append(self, piece: Any) -> Self:
        """Add a piece to the stream."""
        if self._state != "open":
            raise AppenderNotOpenError(
                f"open the {type(self).__name__} (`with appender:`) before appending"
            )
        self._queue.put_nowait(self._convert(piece))
        return self

    def _convert(self, piece: Any) -> Any:
        return piece

    def close(self, exc_value: BaseException | None = None) -> bool:
        """End the stream; True when `exc_value` was captured into it (and is swallowed)."""
        if self._state == "closed":
            return False
        self._state = "closed"
        captured = exc_value is not None and self.capture_errors
        if captured:
            assert exc_value is not None
            self._queue.put_nowait(_Raised(exc_value))
        self._queue.put_nowait(_END)
        return captured

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        return self.close(exc)

    async def _stream(self) -> AsyncIterator[Any]:
        if self._state == "new":
            raise AppenderNotOpenError(
                f"the {type(self).__name__} was never opened: open it (`with appender:`) "
                "before a consumer reads the stream, or the reader would wait forever"
            )
        while True:
            piece = await self._queue.get()
            if piece is _END:
                return
            if isinstance(piece, _Raised):
                raise piece.error
            yield piece


class StreamedPromise(CoreStreamedPromise[Any, Any]):
    """MiniAgents' `StreamedPromise`: pieces from `streamer` (a `StreamAppender`, or an async
    generator function taking the promise), whole from an async `resolver(promise)` run once
    (default: the tuple of pieces)."""

    def __init__(
        self,
        *,
        streamer: Any = None,
        resolver: Callable[[Any], Awaitable[Any]] | None = None,
        start_soon: bool | Sentinel = NO_VALUE,
        prefill_pieces: Any = NO_VALUE,
        prefill_result: Any = NO_VALUE,
    ) -> None:
        super().__init__(name="StreamedPromise")
        self._compat_resolver = resolver
        self._resolution: CorePromise[Any] | None = None
        if prefill_result is not NO_VALUE:
            self._resolution = CorePromise.resolved(prefill_result)
        if prefill_pieces is not NO_VALUE:
            self._push_all(list(prefill_pieces))
            self._finish()
        elif streamer is not None:
            source: Any = streamer._stream if isinstance(streamer, StreamAppender) else None
            if source is None:
                body = streamer

                def source() -> Any:
                    return body(self)

            self._set_producer(lambda: self._pump(source), given(start_soon))

    async def _await_whole(self) -> Any:
        if self._resolution is None:
            if self._compat_resolver is None:
                return await super()._await_whole()
            resolver = self._compat_resolver

            async def resolve() -> Any:
                result = resolver(self)
                if not inspect.isawaitable(result):
                    raise TypeError(f"a resolver must be an async function, got {resolver!r}")
                return await result

            # A promise of its own: the resolver runs once, and every awaiter gets the same
            # result object or the same exception instance.
            self._resolution = CorePromise(resolve, start_asap=False)
        return await self._resolution
