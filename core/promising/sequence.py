"""`MessageSequencePromise` and its producer side, the `ReplyChannel`.

Consumer side: ``async for message_promise in sequence`` (replayed for every consumer; a
failure is raised at its position and iterating again continues after it); ``await sequence``
gives the tuple of `Message`s (the same tuple for every awaiter); ``as_single_promise()`` joins
the messages into one `MessagePromise` (delimiter ``"\\n\\n"``); ``cancel()`` cancels the
producing task tree.

Producer side, for the agents layer::

    async def agent_body(channel: ReplyChannel) -> None:
        channel.reply("first")                     # ordered lane
        channel.reply([other_sequence, "third"])   # nested items hold their slot
        channel.reply_out_of_order(progress)       # overtakes pending ordered items

    replies = MessageSequencePromise(agent_body, name="MY_AGENT")

The sequence owns the producer task: returning closes the channel, raising an `Exception`
fails it at the ordered position after everything replied before it, and every item queued in
either lane is still delivered (nothing is lost after an error). `KeyboardInterrupt` and
`SystemExit` are recorded and re-raised out of the task, so they reach the top level. For a
producer not shaped as one coroutine, ``MessageSequencePromise.with_channel()`` returns the
sequence and its channel; call ``channel.close()`` or ``channel.fail(error)`` when done.

Every task the producer starts inside the promising layer (nested sequences, token pumps,
appenders opened in it) belongs to this sequence's tree: ``cancel()`` cancels them all, their
`finally` blocks run, delivered message promises keep their partial text (see
`MessagePromise.partial()`) and consumers get `asyncio.CancelledError` after the items
delivered so far. A nested sequence cancelled by someone else simply ends its slot.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from typing import Any, ClassVar

from ..messages import ErrorMessage, Message
from .context import Failure, escalates, logger, resolve_errors_as_messages
from .errors import AppenderClosedError
from .flatten import (
    MessageFactory,
    default_message_factory,
    flatten,
    flatten_sync,
    needs_async,
    only_promises,
)
from .message_promise import MessagePromise
from .streamed import StreamedPromise

__all__ = ["MessageSequencePromise", "ReplyChannel"]

SequenceProducer = Callable[["ReplyChannel"], Awaitable[None]]


class ReplyChannel:
    """The producer's end of a `MessageSequencePromise`: an ordered and an out-of-order lane."""

    __slots__ = ("_closed", "_message_factory", "_ordered", "_out_of_order", "_pump", "sequence")

    def __init__(
        self, sequence: MessageSequencePromise, message_factory: MessageFactory | None = None
    ) -> None:
        self.sequence = sequence
        self._message_factory = message_factory or default_message_factory
        self._ordered: deque[Any] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._out_of_order = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once `close()` or `fail()` was called."""
        return self._closed

    def reply(self, item: Any) -> None:
        """Queue `item` (anything flattening accepts) in order after earlier replies."""
        if not self._accepting():
            return
        if self._pump is None and not self._ordered:
            if isinstance(item, MessagePromise):
                # One promise, the common reply (a network sends thousands): emitted as
                # `flatten_sync` would, without checking it against every kind of item.
                self._emit(item)
                return
            if only_promises(item):
                self._emit_all(item)
                return
            if not needs_async(item):
                flatten_sync(item, self._emit, self._emit_failure, self._message_factory)
                return
        self._ordered.append(item)
        if self._pump is None:
            self._pump = self.sequence._spawn(self._run_ordered(), f"{self.sequence.name}:reply")

    def reply_out_of_order(self, item: Any) -> None:
        """Deliver `item` as soon as it is available, overtaking pending ordered items."""
        if not self._accepting():
            return
        if not needs_async(item):
            flatten_sync(item, self._emit, self._emit_failure, self._message_factory)
            return
        self._out_of_order += 1
        self.sequence._spawn(self._run_out_of_order(item), f"{self.sequence.name}:out-of-order")

    def close(self) -> None:
        """No more replies; the sequence ends once both lanes have delivered everything."""
        self._closed = True
        self._maybe_finish()

    def fail(self, error: BaseException) -> None:
        """Place `error` in order after everything replied so far, then close."""
        if self.sequence.done():
            if not self.sequence.cancelled():
                Failure(error, self.sequence.name).report_if_unobserved()
            return
        if self._closed:
            # Failing after an early close: the error still gets the next ordered position.
            self._closed = False
        self.reply(error)
        self.close()

    def _accepting(self) -> bool:
        """False after a cancel (replies are dropped); raises once the channel is closed."""
        if self._closed:
            raise AppenderClosedError(f"{self.sequence.name}: the reply channel is closed")
        return not self.sequence._done

    def _emit(self, promise: MessagePromise) -> None:
        sequence = self.sequence
        if sequence._done:
            return
        promise = sequence._adopt(promise)
        sequence._push(promise)
        context = sequence._context
        if context is not None and context.on_message_delivered:
            context._fire_delivered(sequence, promise)

    def _emit_all(self, promises: list[MessagePromise] | tuple[MessagePromise, ...]) -> None:
        # `_emit` for each, in one step: an agent's history is sent as 10,000 promises at once.
        sequence = self.sequence
        if sequence._done or not promises:
            return
        adopt = sequence._adopt
        delivered = [adopt(promise) for promise in promises]
        sequence._push_all(delivered)
        context = sequence._context
        if context is not None and context.on_message_delivered:
            for promise in delivered:
                context._fire_delivered(sequence, promise)

    def _emit_failure(self, error: BaseException) -> None:
        sequence = self.sequence
        if sequence._done:
            return
        if sequence._errors_as_messages and isinstance(error, Exception):
            logger.debug("%s failed; kept as an ErrorMessage: %r", sequence.name, error)
            with_traceback = bool(
                sequence._context and sequence._context.error_tracebacks_in_messages
            )
            message = ErrorMessage.from_exception(error, with_traceback=with_traceback)
            self._emit(MessagePromise.from_message(message))
        else:
            sequence._push(Failure(error, sequence.name))

    async def _run_ordered(self) -> None:
        try:
            while self._ordered:
                item = self._ordered.popleft()
                await flatten(item, self._emit, self._emit_failure, self._message_factory)
        finally:
            self._pump = None
            self._maybe_finish()

    async def _run_out_of_order(self, item: Any) -> None:
        try:
            await flatten(item, self._emit, self._emit_failure, self._message_factory)
        finally:
            self._out_of_order -= 1
            self._maybe_finish()

    def _maybe_finish(self) -> None:
        if self._closed and self._pump is None and not self._ordered and not self._out_of_order:
            self.sequence._finish()


class MessageSequencePromise(StreamedPromise[MessagePromise, tuple[Message, ...]]):
    """An ordered, replayable stream of `MessagePromise`s; awaiting gives the `Message`s.

    Args:
        producer: a coroutine function taking the `ReplyChannel`; the sequence runs it once in
            a task it owns (None: feed it through `with_channel()`).
        start_asap: start at the next task switch (default from the context) or when first
            consumed (False).
        errors_as_messages: failures become `ErrorMessage`s at their position (default from
            the context).
        message_factory: turns bare `str`/`dict` replies into messages.
        name: the producer's name (e.g. the agent alias), shown in logs.
    """

    _errors_end_stream: ClassVar[bool] = False

    def __init__(
        self,
        producer: SequenceProducer | None = None,
        *,
        start_asap: bool | None = None,
        errors_as_messages: bool | None = None,
        message_factory: MessageFactory | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self._errors_as_messages = resolve_errors_as_messages(errors_as_messages, self._context)
        self._channel = ReplyChannel(self, message_factory)
        if producer is not None:
            body = producer
            self._set_producer(lambda: self._run_producer(body), start_asap)

    def _adopt(self, promise: MessagePromise) -> MessagePromise:
        """The promise to deliver here for `promise` (itself, unless a subclass marks what it
        delivers: then a `SharedMessagePromise` must be copied first)."""
        return promise

    @classmethod
    def with_channel(
        cls,
        *,
        errors_as_messages: bool | None = None,
        message_factory: MessageFactory | None = None,
        name: str | None = None,
    ) -> tuple[MessageSequencePromise, ReplyChannel]:
        """A sequence fed by hand, and its channel (close or fail it when done)."""
        sequence = cls(
            errors_as_messages=errors_as_messages, message_factory=message_factory, name=name
        )
        return sequence, sequence._channel

    @classmethod
    def of(
        cls, items: Any, *, start_asap: bool | None = None, name: str | None = None
    ) -> MessageSequencePromise:
        """A sequence of `items` (anything flattening accepts)."""

        async def reply_all(channel: ReplyChannel) -> None:
            channel.reply(items)

        return cls(reply_all, start_asap=start_asap, name=name)

    async def _run_producer(self, producer: SequenceProducer) -> None:
        channel = self._channel
        try:
            await producer(channel)
        except asyncio.CancelledError as error:
            self._finish_cancelled(error)
            raise
        except Exception as error:
            channel.fail(error)
        except BaseException as error:
            channel.fail(error)
            if escalates(error):
                raise
        else:
            channel.close()

    def delivered(self) -> tuple[MessagePromise, ...]:
        """The message promises delivered so far, in order (failures left out)."""
        return tuple(piece for piece in self._pieces if type(piece) is MessagePromise)

    def as_single_promise(
        self,
        *,
        delimiter: str = "\n\n",
        message_class: type[Message] = Message,
        **known_beforehand: Any,
    ) -> MessagePromise:
        """Join the messages into one streamed message, separated by `delimiter`."""

        async def joined() -> Any:
            first = True
            async for promise in self:
                if not first:
                    yield delimiter
                first = False
                async for token in promise:
                    yield token

        return MessagePromise(joined(), message_class=message_class, **known_beforehand)

    def __await__(self) -> Generator[Any, None, tuple[Message, ...]]:
        return self._await_whole().__await__()

    async def _await_whole(self) -> tuple[Message, ...]:
        while not self._done:
            await self._wait()
        if self._cancelled is not None:
            raise self._cancelled
        if self._whole_failure is not None:
            raise self._whole_failure.error
        messages: list[Message] = []
        for piece in self._pieces:
            if type(piece) is Failure:
                if self._whole_failure is None:
                    self._whole_failure = piece
                raise piece.observe()
            messages.append(await piece)
        if self._whole is None or not isinstance(self._whole, tuple):
            # Concurrent awaiters may both get here; the first one's tuple is kept.
            self._whole = tuple(messages)
        whole: tuple[Message, ...] = self._whole
        return whole

    def __repr__(self) -> str:
        state = "done" if self._done else "open"
        return f"<MessageSequencePromise {self._name} {state}, {len(self._pieces)} items>"
