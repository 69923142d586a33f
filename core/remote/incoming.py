"""Replies arriving from a worker: one local message promise per remote reply."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from ..messages import ErrorMessage, Message
from ..promising import MessagePromise
from .protocol import RemoteRunError

__all__ = ["Incoming", "RemoteMessagePromise"]


class RemoteMessagePromise(MessagePromise):
    """A reply streamed from a worker; it resolves to the worker's message itself.

    Attributes:
        worker: the worker streaming it (the IDE shows it in the pane header).
        notice: a warning for the person watching (NATS dropped some of its tokens), or None.
    """

    worker: str | None = None
    notice: str | None = None

    def settle(self, message: Message) -> None:
        """Resolve to `message` when the tokens end (the worker's, hash for hash)."""
        self._message = message


class Incoming:
    """One reply message arriving: its tokens and, at the end, its finished form."""

    __slots__ = ("promise", "queue")

    _END: ClassVar[object] = object()

    def __init__(self, fields: dict[str, Any], worker: str, errors_as_messages: bool) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        known = {key: value for key, value in fields.items() if not key.startswith("$")}
        self.promise = RemoteMessagePromise(
            self._tokens, errors_as_messages=errors_as_messages, **known
        )
        self.promise.worker = worker

    async def _tokens(self, _fields: dict[str, Any]) -> Any:
        streamed = 0
        so_far: list[str] = []
        while True:
            item = await self.queue.get()
            if isinstance(item, str):
                streamed += len(item)
                so_far.append(item)
                yield item
                continue
            if isinstance(item, BaseException):
                raise item
            message: Message = item
            if isinstance(message, ErrorMessage) and not self.promise._errors_as_messages:
                raise RemoteRunError(f"the remote agent failed: {message.text}")
            text = message.text
            # Tokens travel on core NATS and may be dropped; the finished message is whole.
            if len(text) > streamed and text.startswith("".join(so_far)):
                yield text[streamed:]
            self.promise.settle(message)
            return

    def token(self, text: str) -> None:
        self.queue.put_nowait(text)

    def finish(self, message: Message | BaseException) -> None:
        self.queue.put_nowait(message)
