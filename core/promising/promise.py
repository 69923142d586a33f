"""`Promise[T]`: an awaitable that resolves once.

Every awaiter gets the same result object, or the same exception instance. A promise is
either resolved by a ``resolver`` coroutine function (run once, in a background task owned by
the promise, at the next task switch unless ``start_asap=False``), or from outside with
``set_result()`` / ``set_exception()``. Cancelling an awaiter does not cancel the promise;
``cancel()`` does, and every awaiter then gets `asyncio.CancelledError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar, cast

from .context import Failure, escalates
from .streamed import StreamedPromise

__all__ = ["Promise"]

T = TypeVar("T")

_MISSING: Any = object()


class Promise(Generic[T]):
    """An awaitable resolved once; every awaiter gets the same result or exception.

    Args:
        resolver: a coroutine function computing the value; None to resolve from outside.
        start_asap: run the resolver at the next task switch (default from the context) or
            when first awaited (False).
        name: shown in logs.
    """

    __slots__ = ("_stream",)

    def __init__(
        self,
        resolver: Callable[[], Awaitable[T]] | None = None,
        *,
        start_asap: bool | None = None,
        name: str | None = None,
    ) -> None:
        # A promise is a stream of at most one piece: it shares the replay, scope,
        # cancellation and shutdown machinery instead of duplicating it.
        self._stream: StreamedPromise[T, T] = StreamedPromise(
            resolver=_single, name=name or "Promise"
        )
        if resolver is not None:
            stream = self._stream

            async def run() -> None:
                try:
                    value = await resolver()
                except asyncio.CancelledError as error:
                    stream._finish_cancelled(error)
                    raise
                except Exception as error:
                    stream._finish_failed(error)
                except BaseException as error:
                    stream._finish_failed(error)
                    if escalates(error):
                        raise
                else:
                    self.set_result(value)

            stream._set_producer(run, start_asap)

    @classmethod
    def resolved(cls, value: T) -> Promise[T]:
        """A promise already resolved to `value`."""
        promise: Promise[T] = cls()
        promise.set_result(value)
        return promise

    def set_result(self, value: T) -> None:
        """Resolve with `value`; raises `asyncio.InvalidStateError` if already resolved."""
        if self._stream._done:
            raise asyncio.InvalidStateError(f"{self._stream.name} is already resolved")
        self._stream._push(value)
        self._stream._finish()

    def set_exception(self, error: BaseException) -> None:
        """Fail with `error`; every awaiter gets this same instance."""
        if self._stream._done:
            raise asyncio.InvalidStateError(f"{self._stream.name} is already resolved")
        self._stream._finish_failed(error)

    def done(self) -> bool:
        """True once resolved, failed or cancelled."""
        return self._stream.done()

    def cancel(self, msg: str | None = None) -> bool:
        """Cancel the resolver (and what it started); awaiters get `asyncio.CancelledError`."""
        return self._stream.cancel(msg)

    def cancelled(self) -> bool:
        """True if cancelled before resolving."""
        return self._stream.cancelled()

    def result(self) -> T:
        """The value now; raises the stored exception, or `InvalidStateError` if pending."""
        if not self._stream._done:
            raise asyncio.InvalidStateError(f"{self._stream.name} is not resolved yet")
        return self._stream._whole_result()

    def __await__(self) -> Generator[Any, None, T]:
        return self._stream._await_whole().__await__()


def _single(pieces: Any) -> Any:
    for piece in pieces:
        if type(piece) is not Failure:
            return cast(Any, piece)
    return None
