"""`PromisingContext`: the task scope every promise runs in.

A context holds the defaults (``start_asap``, ``errors_as_messages``), tracks every background
task the promising layer starts, fires the observer hooks and shuts down in bounded time::

    async with PromisingContext(shutdown_timeout=5.0) as context:
        ...

or, for a long-lived app, ``context.activate()`` now and ``await context.aclose()`` later.
The current context lives in a contextvar, so tasks inherit it and several independent
contexts can coexist in one process (each in its own task tree). Promises also work with no
context at all: they then use the class defaults and their tasks are tracked by nobody.

Leaving the context waits for the tracked tasks up to ``shutdown_timeout`` seconds, then
cancels the stragglers (giving them ``cancel_grace`` seconds for their `finally` blocks) and
logs (logger ``ramify.promising``, WARNING) the names of the producers that were still
running. A producer that ignores its cancellation too is named in the log and abandoned:
asyncio forgets it, so the event loop (``asyncio.run``) can still close and the process exit.
Failures that no consumer ever met are logged once, at ERROR: when the promise holding them is
dropped, or at the latest when the context closes.

Hooks for the agents layer (cheap, synchronous, called in the producer's task; an exception in
a hook is logged and ignored):

* ``on_message_delivered(sequence, message_promise)``: a message promise was delivered into a
  `MessageSequencePromise` (before its tokens end);
* ``on_message_resolved(message_promise, message)``: a `MessagePromise` resolved (not called
  for cancelled or failed ones unless errors-as-messages turned them into an `ErrorMessage`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from .errors import NoActiveContextError, PromisingError

if TYPE_CHECKING:
    from ..messages import Message
    from .message_promise import MessagePromise
    from .sequence import MessageSequencePromise

__all__ = ["Failure", "PromisingContext", "contain_keyboard_interrupts", "escalates", "logger"]

logger = logging.getLogger("ramify.promising")

MessageDeliveredHook = Callable[["MessageSequencePromise", "MessagePromise"], None]
MessageResolvedHook = Callable[["MessagePromise", "Message"], None]

_current_context: contextvars.ContextVar[PromisingContext | None] = contextvars.ContextVar(
    "ramify_promising_context", default=None
)


_contained_interrupts: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "ramify_contained_keyboard_interrupts", default=False
)


def contain_keyboard_interrupts() -> None:
    """From now on in the calling task (and the tasks it starts), a `KeyboardInterrupt` raised
    by a producer is only recorded for its consumers, not re-raised out of the event loop.

    For code that handles it itself, such as ``agent_loop(raise_keyboard_interrupt=False)``.
    """
    _contained_interrupts.set(True)


def escalates(error: BaseException) -> bool:
    """Whether a producer's `error` must also leave its task (and so end the event loop):
    `KeyboardInterrupt` and `SystemExit`, unless interrupts are contained here."""
    if isinstance(error, KeyboardInterrupt):
        return not _contained_interrupts.get()
    return not isinstance(error, Exception)


class Failure:
    """An exception kept at its position in a stream, logged once if no consumer meets it."""

    __slots__ = ("__weakref__", "error", "logged", "observed", "where")

    def __init__(self, error: BaseException, where: str, *, observed: bool = False) -> None:
        self.error = error
        self.where = where
        self.observed = observed or not isinstance(error, Exception)
        self.logged = False
        if not self.observed:
            context = _current_context.get()
            if context is not None:
                context._unobserved.add(self)

    def observe(self) -> BaseException:
        """Mark the failure as met by a consumer and return the exception to raise."""
        self.observed = True
        return self.error

    def report_if_unobserved(self) -> None:
        """Log the failure at ERROR once, unless a consumer met it."""
        if self.observed or self.logged:
            return
        self.logged = True
        logger.error(
            "unconsumed failure in %s: %s: %s",
            self.where,
            type(self.error).__name__,
            self.error,
            exc_info=(type(self.error), self.error, self.error.__traceback__),
        )

    def __del__(self) -> None:
        self.report_if_unobserved()


class PromisingContext:
    """The scope promises run in: defaults, background tasks, hooks and bounded shutdown.

    Args:
        start_asap: producers start at the next task switch (default) instead of when first
            consumed.
        errors_as_messages: failures become `ErrorMessage`s at their position instead of
            exceptions raised to consumers.
        error_tracebacks_in_messages: include the formatted traceback in those messages.
        shutdown_timeout: seconds `aclose()` waits for running producers before cancelling.
        cancel_grace: seconds the cancelled stragglers then get to run their `finally`
            blocks; `aclose()` returns within ``shutdown_timeout + cancel_grace``.
    """

    default_start_asap: ClassVar[bool] = True
    default_errors_as_messages: ClassVar[bool] = False

    def __init__(
        self,
        *,
        start_asap: bool = True,
        errors_as_messages: bool = False,
        error_tracebacks_in_messages: bool = False,
        shutdown_timeout: float = 10.0,
        cancel_grace: float = 1.0,
    ) -> None:
        self.start_asap = start_asap
        self.errors_as_messages = errors_as_messages
        self.error_tracebacks_in_messages = error_tracebacks_in_messages
        self.shutdown_timeout = shutdown_timeout
        self.cancel_grace = cancel_grace
        self.on_message_delivered: list[MessageDeliveredHook] = []
        self.on_message_resolved: list[MessageResolvedHook] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unobserved: weakref.WeakSet[Failure] = weakref.WeakSet()
        self._token: contextvars.Token[PromisingContext | None] | None = None
        self._closed = False

    @classmethod
    def current(cls) -> Self:
        """The active context of this type; raises `NoActiveContextError` if there is none."""
        context = _current_context.get()
        if context is None:
            raise NoActiveContextError(
                f"no {cls.__name__} is active: use `async with {cls.__name__}():`"
            )
        if not isinstance(context, cls):
            raise NoActiveContextError(
                f"the active context is a {type(context).__name__}, not a {cls.__name__}"
            )
        return context

    @staticmethod
    def current_or_none() -> PromisingContext | None:
        """The active context, or None."""
        return _current_context.get()

    def activate(self) -> Self:
        """Make this the current context of the calling task (and the tasks it starts)."""
        if self._token is not None:
            raise PromisingError(f"{type(self).__name__} is already active")
        if self._closed:
            raise PromisingError(f"{type(self).__name__} was closed; create a new one")
        self._token = _current_context.set(self)
        return self

    async def aclose(self) -> None:
        """Wait for running tasks up to `shutdown_timeout`, cancel the rest, deactivate."""
        try:
            await self._drain()
        finally:
            self._closed = True
            for failure in list(self._unobserved):
                failure.report_if_unobserved()
            if self._token is not None:
                try:
                    _current_context.reset(self._token)
                except ValueError:
                    # Closed from another task than the one that activated it.
                    _current_context.set(None)
                self._token = None

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.shutdown_timeout
        current = asyncio.current_task()
        while True:
            pending = {task for task in self._tasks if not task.done() and task is not current}
            if not pending:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(pending, timeout=remaining)
        names = sorted(task.get_name() for task in pending)
        logger.warning(
            "shutdown timed out after %.3gs; cancelling %d producer(s) still running: %s",
            self.shutdown_timeout,
            len(names),
            ", ".join(names),
        )
        for task in pending:
            task.cancel("promising context shutdown")
        await asyncio.wait(pending, timeout=self.cancel_grace)
        for task in pending:
            if not task.done():
                logger.warning(
                    "gave up on producer %s: it ignored cancellation at shutdown", task.get_name()
                )
                _abandon(task)

    async def __aenter__(self) -> Self:
        return self.activate()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def track(self, task: asyncio.Task[Any]) -> None:
        """Keep `task` for bounded shutdown (the promising layer calls this for its tasks)."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def start_task(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start a tracked background task named `name` (the name shows in shutdown logs)."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self.track(task)
        return task

    def running_task_names(self) -> list[str]:
        """Names of the tracked tasks still running, for diagnostics."""
        return sorted(task.get_name() for task in self._tasks if not task.done())

    def _fire_delivered(self, sequence: MessageSequencePromise, promise: MessagePromise) -> None:
        for hook in self.on_message_delivered:
            try:
                hook(sequence, promise)
            except Exception:
                logger.exception("on_message_delivered hook %r failed", hook)

    def _fire_resolved(self, promise: MessagePromise, message: Message) -> None:
        for hook in self.on_message_resolved:
            try:
                hook(promise, message)
            except Exception:
                logger.exception("on_message_resolved hook %r failed", hook)


def _abandon(task: asyncio.Task[Any]) -> None:
    # `asyncio.run` (and so `Ramify.run`, Textual's exit, any `async with` inside it) ends by
    # cancelling every task it knows and waiting for all of them, without a bound: one task
    # that swallows cancellation would hang the process forever. Forgetting it lets the loop
    # close; the task is dropped with it.
    unregister = getattr(asyncio.tasks, "_unregister_task", None)
    if unregister is not None:
        unregister(task)
        # Named in our own warning already; asyncio's "destroyed but pending" would repeat it.
        task._log_destroy_pending = False  # type: ignore[attr-defined]


def resolve_start_asap(explicit: bool | None, context: PromisingContext | None) -> bool:
    """An explicit flag wins, then the context's default, then the class default."""
    if explicit is not None:
        return explicit
    if context is not None:
        return context.start_asap
    return PromisingContext.default_start_asap


def resolve_errors_as_messages(explicit: bool | None, context: PromisingContext | None) -> bool:
    """An explicit flag wins, then the context's default, then the class default."""
    if explicit is not None:
        return explicit
    if context is not None:
        return context.errors_as_messages
    return PromisingContext.default_errors_as_messages
