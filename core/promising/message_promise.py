"""`MessagePromise`: a message that streams as plain `str` tokens and resolves to a `Message`.

Consumer side:

* ``async for token in promise`` yields `str` tokens (replayed from the start for every
  consumer); ``await promise`` gives the `Message`; ``str(await promise)`` is the joined tokens.
* ``async for chunk in promise.chunks()`` yields everything pending joined into one string, so
  a slow renderer never falls behind a fast producer.
* ``promise.known_beforehand`` / ``promise.message_class`` are readable before the first token.
* A message given whole streams as a single token.

Producer side:

* ``MessagePromise(tokens)``: pumps an async iterable of `str`, or a callable that receives the
  promise's extra-fields dict (fill in ``usage``, ``finish_reason`` ... while streaming) and
  returns one;
* ``TokenAppender(**known_beforehand)``: push style, ``with appender: appender.append("tok")``;
  ``appender.promise`` is the message promise; ``appender.add_fields(...)`` adds fields;
* ``MessagePromise.from_message(message)``: already resolved.

Memory: once the message resolves only its text is kept. Consumers already iterating finish
the original pieces; a consumer that starts afterwards gets the whole text as one token.

Failures: without errors-as-messages, a token-source exception is raised to every token
consumer after the tokens before it, and by ``await``. With errors-as-messages, the token
stream just ends and ``await`` gives an `ErrorMessage` whose ``partial_text`` is what streamed.
Cancelled: consumers get the tokens so far and then `asyncio.CancelledError`, ``await`` raises
it, and ``promise.partial()`` gives the partial message with ``cancelled=True``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, Self

from ..messages import ErrorMessage, Message
from .context import Failure, _current_context, logger, resolve_errors_as_messages
from .errors import AppenderClosedError, AppenderNotOpenError, MalformedProducerError
from .streamed import _MISSING, StreamedPromise, _current_scope

__all__ = ["MessagePromise", "SharedMessagePromise", "TokenAppender"]

TokenSource = AsyncIterable[str] | Callable[[dict[str, Any]], AsyncIterable[str]]


class MessagePromise(StreamedPromise[str, Message]):
    """A message streamed as `str` tokens; awaiting it gives the `Message`.

    Args:
        tokens: an async iterable of `str`, or a callable taking the extra-fields dict and
            returning one; None when an appender or `from_message` feeds the promise.
        message_class: the `Message` subclass built at the end.
        start_asap: start pumping at the next task switch (default from the context).
        errors_as_messages: a failure resolves to an `ErrorMessage` (default from the context).
        name: shown in logs.
        known_beforehand: fields known before the first token (role, agent_alias, model ...).
    """

    # Set by an agent that writes its replies into the session tree itself (a network, see
    # `ramify.core.net`): a recorded run passes such a reply on without appending it again.
    placed_in_tree: bool = False

    def __init__(
        self,
        tokens: TokenSource | None = None,
        *,
        message_class: type[Message] = Message,
        start_asap: bool | None = None,
        errors_as_messages: bool | None = None,
        name: str | None = None,
        **known_beforehand: Any,
    ) -> None:
        super().__init__(name=name or _name_from(known_beforehand, message_class))
        self.message_class = message_class
        self.known_beforehand: Mapping[str, Any] = MappingProxyType(known_beforehand)
        self._fields: dict[str, Any] = {}
        self._errors_as_messages = resolve_errors_as_messages(errors_as_messages, self._context)
        self._message: Message | None = None
        self._text: str | None = None
        # The alias of the agent whose reply first delivered this promise, stamped by the
        # agents layer so a UI can open a pane per agent before the first token.
        self.origin: str | None = None
        if tokens is not None:
            if not callable(tokens) and not hasattr(tokens, "__aiter__"):
                raise MalformedProducerError(
                    f"{self._name}: tokens must be an async iterable of str or a callable "
                    f"returning one, got {type(tokens).__name__}"
                )
            source: Any = tokens
            if not hasattr(tokens, "__aiter__"):
                factory = tokens
                source = lambda: factory(self._fields)  # noqa: E731
            self._set_producer(lambda: self._pump(source), start_asap)

    @classmethod
    def from_message(cls, message: Message, *, name: str | None = None) -> Self:
        """A promise already resolved to `message`, streaming its text as one token."""
        # The end state of `__init__` + `_push` + `_finish`, set directly: an agent run turns
        # its whole history into these (10,000 at a time on a long branch), so the three
        # steps' bookkeeping was most of the cost of starting an agent there.
        known = message.hashed_fields()
        text = known.pop("text", message.text)
        context = _current_context.get()
        promise = cls.__new__(cls)
        promise.__dict__ = {
            "_context": context,
            "_name": name or _name_from(known, type(message)),
            "_pieces": [text] if text else [],
            "_done": True,
            "_cancelled": None,
            "_waiter": None,
            "_tasks": None,
            "_children": None,
            "_parent": None,
            "_start_fn": None,
            "_whole": _MISSING,
            "_whole_failure": None,
            "_resolver": None,
            "message_class": type(message),
            "known_beforehand": MappingProxyType(known),
            "_fields": {},
            "_errors_as_messages": resolve_errors_as_messages(None, context),
            "_message": message,
            "_text": text,
            "origin": None,
        }
        if context is not None and context.on_message_resolved:
            context._fire_resolved(promise, message)
        return promise

    def add_fields(self, **fields: Any) -> None:
        """Add fields discovered while streaming (usage, finish_reason ...) to the message."""
        if self._done:
            raise AppenderClosedError(f"{self._name} already resolved; fields come too late")
        self._fields.update(fields)

    def get(self, field: str, default: Any = None) -> Any:
        """A field known beforehand (or added while streaming), else `default`."""
        if field in self._fields:
            return self._fields[field]
        if field in self.known_beforehand:
            return self.known_beforehand[field]
        if field == "agent_alias" and self.origin is not None:
            return self.origin
        return default

    @property
    def agent_alias(self) -> str | None:
        """The agent that produced this message, known before its first token."""
        alias = self.get("agent_alias")
        return alias if isinstance(alias, str) else None

    def text_so_far(self) -> str:
        """The text streamed until now (the whole text once resolved)."""
        if self._text is not None:
            return self._text
        return "".join(piece for piece in self._pieces if type(piece) is str)

    def partial(self) -> Message:
        """The message as far as it streamed; ``cancelled=True`` if it was cancelled."""
        if self._message is not None:
            return self._message
        extra = {"cancelled": True} if self._cancelled is not None else {}
        fields = {**self.known_beforehand, **self._fields, **extra}
        try:
            return self.message_class(text=self.text_so_far(), **fields)
        except Exception:
            return Message(text=self.text_so_far(), **extra)

    def chunks(self) -> AsyncIterator[str]:
        """Iterate coalesced chunks: every pending token joined, never one behind another."""
        self._ensure_started()
        return _Chunks(self)

    def _finish_failed(self, error: BaseException) -> None:
        if self._done:
            return
        if self._errors_as_messages and isinstance(error, Exception):
            logger.debug("%s failed; kept as an ErrorMessage: %r", self._name, error)
            fields = {k: v for k, v in {**self.known_beforehand, **self._fields}.items()}
            fields.pop("role", None)
            text = self.text_so_far()
            try:
                self._message = ErrorMessage.from_exception(error, partial_text=text, **fields)
            except Exception:
                self._message = ErrorMessage.from_exception(error, partial_text=text)
            self._finish()
            return
        super()._finish_failed(error)

    def _on_done(self) -> None:
        pieces = self._pieces
        failure = pieces[-1] if pieces and type(pieces[-1]) is Failure else None
        text = "".join(pieces[:-1] if failure is not None else pieces)
        self._text = text
        if failure is None and self._message is None:
            try:
                self._message = self.message_class(
                    text=text, **{**self.known_beforehand, **self._fields}
                )
            except Exception as error:
                failure = Failure(error, self._name)
        # Keep only the text: consumers mid-way hold the old list, new ones replay this.
        compact: list[Any] = [text] if text else []
        if failure is not None:
            compact.append(failure)
            self._whole_failure = failure
        self._pieces = compact
        context = self._context
        if self._message is not None and context is not None and context.on_message_resolved:
            context._fire_resolved(self, self._message)

    def _whole_result(self) -> Message:
        if self._message is not None:
            return self._message
        if self._cancelled is not None:
            raise self._cancelled
        assert self._whole_failure is not None
        raise self._whole_failure.observe()

    def __repr__(self) -> str:
        state = "done" if self._done else "streaming"
        return f"<MessagePromise {self._name} {state}>"


class SharedMessagePromise(MessagePromise):
    """A resolved message promise handed to many readers at once (a cached branch history).

    Reading it is safe from anywhere. A sequence that marks what it delivers as its own (an
    agent's replies stamp `origin`) delivers `private_copy()` instead, so one reader's mark
    never shows up in another's history. Build one with `SharedMessagePromise.from_message`.
    """

    def private_copy(self) -> MessagePromise:
        """An unshared promise resolved to the same message."""
        assert self._message is not None
        return MessagePromise.from_message(self._message, name=self._name)


def _name_from(known: Mapping[str, Any], message_class: type[Message]) -> str:
    alias = known.get("agent_alias")
    return f"{alias}:message" if alias else message_class.__name__


class _Chunks(AsyncIterator[str]):
    """One consumer reading all pending tokens of a message promise at once.

    ``joined`` is how many tokens the last chunk joined (a UI counts tokens with it).
    """

    __slots__ = ("_index", "_pieces", "_promise", "joined")

    def __init__(self, promise: MessagePromise) -> None:
        self._promise = promise
        self._pieces = promise._pieces
        self._index = 0
        self.joined = 0

    async def __anext__(self) -> str:
        promise = self._promise
        pieces = self._pieces
        while True:
            index = self._index
            end = len(pieces)
            if index < end:
                if type(pieces[end - 1]) is Failure:
                    end -= 1
                if index < end:
                    self._index = end
                    self.joined = end - index
                    return "".join(pieces[index:end])
                self._index = end + 1
                raise pieces[end].observe()
            if promise._done:
                raise StopAsyncIteration
            await promise._wait()


class TokenAppender:
    """Push tokens into a new `MessagePromise`: ``with appender: appender.append("tok")``.

    Leaving the ``with`` block closes the message; an exception leaving it is recorded at its
    position in the message and, unless ``capture_errors``, propagates. Opened inside a task
    the promising layer owns (an agent), the appender ties that task to the promise, so
    ``promise.cancel()`` cancels the producer. Appending after a cancel is silently dropped.

    Args:
        message_class: the `Message` subclass built at the end.
        capture_errors: suppress an exception leaving the ``with`` block after recording it.
        errors_as_messages: a failure resolves to an `ErrorMessage` (default from the context).
        known_beforehand: fields known before the first token.
    """

    __slots__ = ("_capture_errors", "_closed", "_open", "promise")

    def __init__(
        self,
        *,
        message_class: type[Message] = Message,
        capture_errors: bool = False,
        errors_as_messages: bool | None = None,
        **known_beforehand: Any,
    ) -> None:
        self.promise = MessagePromise(
            message_class=message_class, errors_as_messages=errors_as_messages, **known_beforehand
        )
        self._capture_errors = capture_errors
        self._open = False
        self._closed = False

    def open(self) -> Self:
        """Start accepting tokens."""
        if self._closed:
            raise AppenderClosedError("this appender was closed; create a new one")
        self._open = True
        scope = _current_scope.get()
        task = asyncio.current_task()
        promise = self.promise
        if scope is not None and task is not None and scope is not promise:
            # Tie the producing task to the promise so cancel() reaches it.
            if promise._tasks is None:
                promise._tasks = set()
            promise._tasks.add(task)
            task.add_done_callback(promise._task_done)
            promise._parent = scope
            if scope._children is None:
                scope._children = set()
            scope._children.add(promise)
        return self

    def append(self, token: str) -> None:
        """Append one token (a plain `str`)."""
        promise = self.promise
        if self._open and not promise._done:
            if type(token) is not str and not isinstance(token, str):
                raise TypeError(f"tokens are str, got {type(token).__name__}")
            promise._push(token)
            return
        if promise._cancelled is not None:
            return
        if not self._open and not self._closed:
            raise AppenderNotOpenError("open the appender (`with appender:`) before appending")
        raise AppenderClosedError("the appender is closed; tokens can no longer be added")

    def add_fields(self, **fields: Any) -> None:
        """Add fields discovered while streaming (usage, finish_reason ...) to the message."""
        self.promise.add_fields(**fields)

    def close(self) -> None:
        """End the message; it resolves now."""
        self._open = False
        self._closed = True
        self._detach_task()
        self.promise._finish()

    def fail(self, error: BaseException) -> None:
        """End the message with `error` at the current position."""
        self._open = False
        self._closed = True
        self._detach_task()
        if isinstance(error, asyncio.CancelledError):
            self.promise._finish_cancelled(error)
        else:
            self.promise._finish_failed(error)

    def _detach_task(self) -> None:
        task = asyncio.current_task()
        tasks = self.promise._tasks
        if task is not None and tasks is not None and task in tasks:
            tasks.discard(task)
            task.remove_done_callback(self.promise._task_done)
            self.promise._maybe_detach()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is None:
            self.close()
            return False
        self.fail(exc)
        return self._capture_errors and isinstance(exc, Exception)
