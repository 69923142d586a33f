"""`StreamedPromise[PIECE, WHOLE]`: replayable pieces plus an awaitable whole.

Consumer side: ``async for piece in promise`` replays every piece from the start, then follows
live; ``await promise`` gives the whole (the same object, or the same exception instance, for
every awaiter). Any number of consumers; the producer runs once.

Producer side: pass an async iterable (or a zero-argument callable returning one) as
``producer``; a background task pumps it into a list buffer. Consumers wait on one shared
future that the producer completes when it appends, so there is no queue per consumer, no lock
and no task switch per piece while consumers keep up.

Errors: an exception from the producer is stored at its position; every consumer meets it
there, after all earlier pieces, and the stream then ends. `KeyboardInterrupt`/`SystemExit` are
recorded the same way and also re-raised out of the pumping task, so asyncio propagates them
to the top level even when nobody consumes the stream.

Cancellation: ``cancel()`` ends the stream at once (consumers get the pieces so far, then
`asyncio.CancelledError`) and cancels the producing task tree: the promise's own tasks and every
promise created inside them (tracked through a contextvar "scope"), recursively, so their
`finally` blocks run. Cancelling a consumer task only stops that consumer.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from .context import Failure, PromisingContext, _current_context, escalates, resolve_start_asap
from .errors import MalformedProducerError

__all__ = ["StreamedPromise"]

PIECE = TypeVar("PIECE")
WHOLE = TypeVar("WHOLE")

# The promise whose producing task is running; promises created there become its children,
# so cancelling it cancels the whole producing tree.
_current_scope: contextvars.ContextVar[StreamedPromise[Any, Any] | None] = contextvars.ContextVar(
    "ramify_promising_scope", default=None
)

_MISSING: Any = object()

Producer = AsyncIterable[PIECE] | Callable[[], AsyncIterable[PIECE]]


class StreamedPromise(Generic[PIECE, WHOLE]):
    """Replayable async-iterable pieces plus an awaitable whole, produced once.

    Args:
        producer: an async iterable of pieces, or a callable returning one.
        resolver: builds the whole from all pieces (default: the tuple of pieces).
        start_asap: start at the next task switch (default from the context) or when first
            consumed (False).
        name: shown in logs, e.g. the shutdown report of producers still running.
    """

    # Sequences keep items after an error; plain streams end at their error.
    _errors_end_stream: ClassVar[bool] = True

    def __init__(
        self,
        producer: Producer[PIECE] | None = None,
        *,
        resolver: Callable[[Sequence[PIECE]], WHOLE] | None = None,
        start_asap: bool | None = None,
        name: str | None = None,
    ) -> None:
        self._context: PromisingContext | None = _current_context.get()
        self._name = name or type(self).__name__
        self._pieces: list[Any] = []
        self._done = False
        self._cancelled: asyncio.CancelledError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[Any]] | None = None
        self._children: set[StreamedPromise[Any, Any]] | None = None
        self._parent: StreamedPromise[Any, Any] | None = None
        self._start_fn: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._whole: Any = _MISSING
        self._whole_failure: Failure | None = None
        self._resolver = resolver
        if producer is not None:
            if not callable(producer) and not hasattr(producer, "__aiter__"):
                raise MalformedProducerError(
                    f"{self._name}: producer must be an async iterable or a callable returning "
                    f"one, got {type(producer).__name__} (use `async def` with `yield`)"
                )
            source = producer
            self._set_producer(lambda: self._pump(source), start_asap)

    @property
    def name(self) -> str:
        """The producer's name, used in logs."""
        return self._name

    def done(self) -> bool:
        """True once the stream has ended (normally, with an error, or cancelled)."""
        return self._done

    def cancelled(self) -> bool:
        """True if the stream was cancelled before it ended."""
        return self._cancelled is not None

    # ----------------------------------------------------------------- producer plumbing

    def _set_producer(
        self, start_fn: Callable[[], Coroutine[Any, Any, None]], start_asap: bool | None
    ) -> None:
        self._start_fn = start_fn
        parent = _current_scope.get()
        if parent is not None and parent is not self:
            self._parent = parent
            if parent._children is None:
                parent._children = set()
            parent._children.add(self)
        if resolve_start_asap(start_asap, self._context):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return  # created outside a loop: start when first consumed
            self._ensure_started()

    def _ensure_started(self) -> None:
        start_fn = self._start_fn
        if start_fn is not None:
            self._start_fn = None
            if not self._done:
                self._spawn(start_fn(), self._name)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start a task that belongs to this promise's producing tree."""
        task_context = contextvars.copy_context()
        task_context.run(_current_scope.set, self)
        task = asyncio.get_running_loop().create_task(coroutine, name=name, context=task_context)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        if self._context is not None:
            self._context.track(task)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if self._tasks is not None:
            self._tasks.discard(task)
        if not task.cancelled():
            # A KeyboardInterrupt/SystemExit was recorded for consumers and re-raised out of
            # the event loop already; retrieving it here stops asyncio from printing it twice.
            task.exception()
        self._maybe_detach()

    def _maybe_detach(self) -> None:
        # Stay in the parent's tree while anything below still runs, so a cancel from above
        # reaches token streams that outlive the sequence that delivered them.
        parent = self._parent
        if parent is None or not self._done or self._tasks or self._children:
            return
        self._parent = None
        if parent._children is not None:
            parent._children.discard(self)
        parent._maybe_detach()

    async def _pump(self, producer: Producer[PIECE]) -> None:
        try:
            source = producer if hasattr(producer, "__aiter__") else producer()
            if not hasattr(source, "__aiter__"):
                if hasattr(source, "close"):
                    source.close()  # a coroutine or sync generator: silence "never awaited"
                raise MalformedProducerError(
                    f"{self._name}: producer returned {type(source).__name__}, "
                    "not an async iterable"
                )
            iterator = source.__aiter__()
            if not hasattr(iterator, "__anext__"):
                raise MalformedProducerError(
                    f"{self._name}: __aiter__ returned {type(iterator).__name__}, "
                    "which has no __anext__"
                )
            push = self._push
            async for piece in cast(AsyncIterator[PIECE], iterator):
                if self._done:
                    break
                push(piece)
        except asyncio.CancelledError as error:
            self._finish_cancelled(error)
            raise
        except Exception as error:
            self._finish_failed(error)
        except BaseException as error:
            self._finish_failed(error)
            if escalates(error):
                raise
        else:
            self._finish()

    def _push(self, piece: Any) -> None:
        self._pieces.append(piece)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _push_all(self, pieces: list[Any]) -> None:
        self._pieces.extend(pieces)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        self._on_done()
        self._wake()
        self._maybe_detach()

    def _finish_failed(self, error: BaseException) -> None:
        if self._done:
            return
        self._pieces.append(Failure(error, self._name))
        self._finish()

    def _finish_cancelled(self, error: asyncio.CancelledError | None = None) -> None:
        if self._done:
            return
        self._cancelled = error if error is not None else asyncio.CancelledError()
        self._pieces.append(Failure(self._cancelled, self._name, observed=True))
        self._finish()

    def _on_done(self) -> None:
        """Hook for subclasses: the stream just ended (compact buffers, build the whole)."""

    def cancel(self, msg: str | None = None) -> bool:
        """Cancel the stream and its producing task tree; False if nothing was left to cancel."""
        cancelled = False
        if not self._done:
            self._start_fn = None
            self._finish_cancelled(asyncio.CancelledError(msg) if msg else None)
            cancelled = True
        for task in list(self._tasks or ()):
            if not task.done():
                task.cancel(msg)
                cancelled = True
        for child in list(self._children or ()):
            cancelled = child.cancel(msg) or cancelled
        return cancelled

    # ----------------------------------------------------------------- consumer side

    async def _wait(self) -> None:
        """Wait until the producer appends or finishes."""
        self._ensure_started()
        waiter = self._waiter
        if waiter is None:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # Another consumer was cancelled while sharing this waiter; not our cancellation.
            if self._waiter is waiter:
                self._waiter = None

    def __aiter__(self) -> AsyncIterator[PIECE]:
        self._ensure_started()
        return _Replay(self)

    def __await__(self) -> Any:
        return self._await_whole().__await__()

    async def _await_whole(self) -> WHOLE:
        while not self._done:
            await self._wait()
        return self._whole_result()

    def _whole_result(self) -> WHOLE:
        if self._cancelled is not None:
            raise self._cancelled
        if self._whole is _MISSING and self._whole_failure is None:
            pieces = self._pieces
            failure = next((piece for piece in pieces if type(piece) is Failure), None)
            if failure is not None:
                self._whole_failure = failure
            elif self._resolver is None:
                self._whole = tuple(pieces)
            else:
                try:
                    self._whole = self._resolver(pieces)
                except Exception as error:
                    # Resolved once: every awaiter meets this same exception instance.
                    self._whole_failure = Failure(error, self._name, observed=True)
        if self._whole_failure is not None:
            raise self._whole_failure.observe()
        return cast(WHOLE, self._whole)


class _Replay(AsyncIterator[Any]):
    """One consumer's position in a promise's buffer."""

    __slots__ = ("_index", "_pieces", "_promise")

    def __init__(self, promise: StreamedPromise[Any, Any]) -> None:
        self._promise = promise
        # Holding the list itself lets a message promise swap in its compact text on
        # completion while this consumer finishes reading the original pieces.
        self._pieces = promise._pieces
        self._index = 0

    def __aiter__(self) -> _Replay:
        return self

    async def __anext__(self) -> Any:
        promise = self._promise
        pieces = self._pieces
        while True:
            index = self._index
            if index < len(pieces):
                piece = pieces[index]
                self._index = index + 1
                if type(piece) is Failure:
                    raise piece.observe()
                return piece
            if promise._done:
                raise StopAsyncIteration
            await promise._wait()
