"""`Ramify`: the runtime agents run in.

Three ways to use it: ``Ramify().run(main())``, ``async with Ramify(): ...``, or
``activate()`` / ``await aclose()`` for a long-lived app such as the TUI.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from ..messages import Message
from ..promising import MessagePromise, PromisingContext
from .context import RunStore

if TYPE_CHECKING:
    from .calls import AgentCall

__all__ = ["PersistMessageHandler", "Ramify"]

T = TypeVar("T")
PersistMessageHandler = Callable[[Message], Awaitable[None]]
logger = logging.getLogger("ramify.agents")


class Ramify(PromisingContext):
    """The agent runtime: defaults, background tasks, persistence hooks, bounded shutdown.

    Args:
        store: where every agent call is recorded as a `Run` (None: runs are not recorded
            unless the call happens inside `Session.inquire`).
        errors_as_messages: failures become `ErrorMessage`s in replies instead of exceptions.
        error_tracebacks_in_messages: include tracebacks in those messages.
        start_asap: agents start at the next task switch (default) or when consumed.
        shutdown_timeout: seconds leaving the runtime waits for running agents before it
            cancels them (and logs their names).
        cancel_grace: seconds cancelled agents then get for their `finally` blocks.
    """

    def __init__(
        self,
        *,
        store: RunStore | None = None,
        errors_as_messages: bool = False,
        error_tracebacks_in_messages: bool = False,
        start_asap: bool = True,
        shutdown_timeout: float = 10.0,
        cancel_grace: float = 1.0,
    ) -> None:
        super().__init__(
            start_asap=start_asap,
            errors_as_messages=errors_as_messages,
            error_tracebacks_in_messages=error_tracebacks_in_messages,
            shutdown_timeout=shutdown_timeout,
            cancel_grace=cancel_grace,
        )
        self.store = store
        self._persist_handlers: list[PersistMessageHandler] = []
        self._persisted: set[str] = set()
        self._open_calls: weakref.WeakSet[AgentCall] = weakref.WeakSet()

    def run(self, awaitable: Coroutine[Any, Any, T]) -> T:
        """Run `awaitable` in a fresh event loop inside this runtime; return its result."""

        async def main() -> T:
            async with self:
                return await awaitable

        return asyncio.run(main())

    async def aclose(self) -> None:
        """Finish the calls still open, then shut down like any `PromisingContext`."""
        # A call opened with `call()` outside any agent and never finished would leave its
        # agent waiting for input until the shutdown timeout cancels it, so the code after
        # its input loop would never run. Agents finish their own child calls; these are
        # finished here (as MiniAgents does at exit).
        for call in list(self._open_calls):
            call.finish()
        await super().aclose()

    def _adopt_call(self, call: AgentCall) -> None:
        self._open_calls.add(call)

    def on_persist_message(self, handler: PersistMessageHandler) -> PersistMessageHandler:
        """Register an async handler called exactly once per message hash (a decorator)."""
        if not inspect.iscoroutinefunction(handler):
            raise TypeError("on_persist_message handlers must be `async def` functions")
        if not self._persist_handlers:
            # Hooked in with the first handler only: every message resolving would pay a call.
            self.on_message_resolved.append(self._persist)
        self._persist_handlers.append(handler)
        return handler

    def _persist(self, promise: MessagePromise, message: Message) -> None:
        key = message.hash_key
        if key in self._persisted:
            return
        self._persisted.add(key)
        for handler in self._persist_handlers:
            self.start_task(_call_handler(handler, message), f"persist:{key[:12]}")


async def _call_handler(handler: PersistMessageHandler, message: Message) -> None:
    try:
        await handler(message)
    except Exception:
        logger.exception("on_persist_message handler %r failed", handler)
