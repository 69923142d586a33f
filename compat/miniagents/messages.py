"""MiniAgents' message classes and promises, as Ramify messages and promises.

A compat `Message` *is* a Ramify `Message` (so replies, storage and the IDE take it as is):
its Ramify ``text`` is what MiniAgents' ``str()`` gives, computed from the other fields when
the message is built, and hidden from MiniAgents' JSON views. ``str()`` of a `TextMessage` is
its content (or its ``content_template`` filled in); of any other message, its JSON in a
markdown code block. Tokens are plain `str`, as everywhere in Ramify.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from types import TracebackType
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, PrivateAttr

from ramify.core.messages import ErrorMessage
from ramify.core.messages import Message as CoreMessage
from ramify.core.promising import MessagePromise as CoreMessagePromise
from ramify.core.promising import MessageSequencePromise, ReplyChannel
from ramify.core.promising import PromisingContext as CorePromisingContext
from ramify.core.promising import StreamedPromise as CoreStreamedPromise
from ramify.core.promising.errors import AppenderClosedError, AppenderNotOpenError

from .promising.ext.frozen import Frozen, StrictFrozen
from .promising.promising import StreamAppender
from .promising.sentinels import NO_VALUE, Sentinel, given

__all__ = [
    "ErrorMessage",
    "ErrorToken",
    "Message",
    "MessagePromise",
    "MessageSequence",
    "MessageSequenceAppender",
    "MessageSequencePromise",
    "MessageTokenAppender",
    "StrictMessage",
    "TextMessage",
    "TextToken",
    "Token",
    "to_message_items",
]


class Message(Frozen, CoreMessage):
    """MiniAgents' `Message`: any fields; ``str()`` is its JSON in a code block.

    The MiniAgents 0.0.x form ``Message(text=..., text_template=...)`` still works: ``str()``
    is then the text, or the template filled in with the fields.
    """

    type_tag: ClassVar[str] = "miniagents.Message"

    # True for the 0.0.x form: `text` was given rather than derived, and is one of the fields.
    _text_given: bool = PrivateAttr(default=False)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)

    def _freeze_all(self) -> None:
        super()._freeze_all()
        # Ramify streams and stores `text`; here it is what str() shows, so they always agree.
        private = self.__pydantic_private__
        assert private is not None  # pydantic makes the dict: private attributes are declared
        private["_text_given"] = False
        given = self.__dict__.get("text") or ""
        template = self.__pydantic_extra__.get("text_template") if self.__pydantic_extra__ else None
        derived = self._render()
        if isinstance(template, str):
            values = {"class_": type(self).__name__, **self._visible_fields(), "text": given}
            given = template.format(**values)
        if given and given != derived:
            private["_text_given"] = True
            derived = given
        object.__setattr__(self, "text", derived)

    def _visible_fields(self) -> dict[str, Any]:
        fields = super()._visible_fields()
        private = self.__pydantic_private__
        if not (private and private.get("_text_given")):
            fields.pop("text", None)
        if fields.get("role", "") is None:
            # Ramify declares `role`; MiniAgents only has it when it was given.
            del fields["role"]
        return fields

    def _render(self) -> str:
        return f"```json\n{self.full_json}\n```"

    def __str__(self) -> str:
        return self.text

    def sub_messages(self) -> Iterable[CoreMessage]:
        """The messages nested in this one's fields, depth first (each before its parent)."""
        for value in self._visible_fields().values():
            yield from _messages_in(value)

    def as_promise(self) -> CoreMessagePromise:
        """This message as an already resolved promise."""
        return CoreMessagePromise.from_message(self)

    @classmethod
    def promise(
        cls,
        *args: Any,
        start_soon: bool | Sentinel = NO_VALUE,
        message_token_streamer: Any = None,
        **kwargs: Any,
    ) -> CoreMessagePromise:
        """A promise of a message of this class: streamed from `message_token_streamer`
        (then `kwargs` are known beforehand), or built now from the arguments."""
        if message_token_streamer is not None:
            return MessagePromise(
                start_soon=start_soon,
                message_token_streamer=message_token_streamer,
                message_class=cls,
                **kwargs,
            )
        return CoreMessagePromise.from_message(cls(*args, **kwargs))


def _messages_in(value: Any) -> Iterable[CoreMessage]:
    if isinstance(value, Message):
        yield from value.sub_messages()
        yield value
    elif isinstance(value, CoreMessage):
        yield value
    elif isinstance(value, Frozen):
        for item in value._visible_fields().values():
            yield from _messages_in(item)
    elif isinstance(value, (tuple, frozenset)):
        for item in value:
            yield from _messages_in(item)


class StrictMessage(Message, StrictFrozen):
    """A `Message` that refuses undeclared fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    type_tag: ClassVar[str] = "miniagents.StrictMessage"


class TextMessage(Message):
    """A message whose ``str()`` is its `content`, or `content_template` filled in with the
    fields (``{content}``, ``{class_}`` and any other field). Content may be positional."""

    type_tag: ClassVar[str] = "miniagents.TextMessage"

    content: str | None = None
    content_template: str | None = None

    def __init__(self, content: str | None = None, /, **data: Any) -> None:
        text = data.pop("text", None)
        if content is not None:
            data["content"] = content
        elif "content" not in data and text:
            # Built by Ramify from streamed tokens: the tokens are the content.
            data["content"] = text
        super().__init__(**data)

    def _render(self) -> str:
        if self.content_template is not None:
            values = {"class_": type(self).__name__, **self._visible_fields()}
            return self.content_template.format(**values)
        return self.content or ""


Token = Frozen
"""MiniAgents' token base class. Ramify's tokens are plain `str`; a token object given to an
appender is streamed as ``str(token)``."""


class TextToken(Frozen):
    """A token with text `content`; ``str()`` is the content."""

    type_tag: ClassVar[str] = "miniagents.TextToken"
    content: str = ""

    def __init__(self, content: str = "", /, **data: Any) -> None:
        super().__init__(content=content, **data)

    def __str__(self) -> str:
        return self.content


class ErrorToken(TextToken):
    """A token that reports an error."""

    type_tag: ClassVar[str] = "miniagents.ErrorToken"


def to_message_items(item: Any) -> Any:
    """MiniAgents' reply values as Ramify ones: a bare `str` becomes a `TextMessage`, a dict
    or pydantic model a `Message`, through any nesting of (async) iterables."""
    if isinstance(item, str):
        return TextMessage(item)
    if isinstance(item, (CoreMessage, CoreMessagePromise, CoreStreamedPromise, BaseException)):
        return item
    if isinstance(item, dict):
        return Message(**item)
    if isinstance(item, BaseModel):
        return Message(**item.model_dump())
    if isinstance(item, (list, tuple)):
        return [to_message_items(element) for element in item]
    if isinstance(item, AsyncIterable):
        return _converted_async(item)
    if isinstance(item, Iterable):
        return (to_message_items(element) for element in item)
    return item


async def _converted_async(items: AsyncIterable[Any]) -> AsyncIterator[Any]:
    async for element in items:
        yield to_message_items(element)


class MessageTokenAppender(StreamAppender[str]):
    """Push tokens into a message promise: ``with appender: appender.append("tok")``.

    Pass it as ``MessagePromise(message_token_streamer=appender)``. A token may be a `str`, a
    token object (streamed as ``str(token)``), or a dict/model whose ``content`` is the text.
    """

    def __init__(self, capture_errors: bool | Sentinel = NO_VALUE) -> None:
        super().__init__(capture_errors)
        self.auxiliary_field_collector: dict[str, Any] = {}

    def _convert(self, piece: Any) -> str:
        if isinstance(piece, dict):
            return str(piece.get("content", ""))
        if isinstance(piece, BaseModel) and not isinstance(piece, Frozen):
            return str(getattr(piece, "content", ""))
        return str(piece)

    async def _tokens(self, fields: dict[str, Any]) -> AsyncIterator[str]:
        try:
            async for token in self._stream():
                yield token
        finally:
            fields.update(self.auxiliary_field_collector)


class MessagePromise(CoreMessagePromise):
    """MiniAgents' constructor for a Ramify `MessagePromise`.

    Args:
        message_token_streamer: a `MessageTokenAppender`, or a callable taking the
            auxiliary-fields dict and returning an async iterator of tokens.
        prefill_message: an already complete message.
        message_class: the class built from the tokens (default `TextMessage`).
        known_beforehand: fields known before the first token.
    """

    def __init__(
        self,
        start_soon: bool | Sentinel = NO_VALUE,
        message_token_streamer: Any = None,
        prefill_message: CoreMessage | None = None,
        message_class: type[CoreMessage] | None = None,
        **known_beforehand: Any,
    ) -> None:
        if prefill_message is not None:
            super().__init__(message_class=type(prefill_message), **known_beforehand)
            self._push(prefill_message.text)
            self._message = prefill_message
            self._finish()
            return
        if message_token_streamer is None:
            raise ValueError("give a message_token_streamer or a prefill_message")
        tokens: Callable[[dict[str, Any]], AsyncIterator[str]]
        if isinstance(message_token_streamer, MessageTokenAppender):
            tokens = message_token_streamer._tokens
        else:
            tokens = _as_text_tokens(message_token_streamer)
        super().__init__(
            tokens,
            message_class=message_class or TextMessage,
            start_asap=given(start_soon),
            **known_beforehand,
        )


def _as_text_tokens(streamer: Any) -> Callable[[dict[str, Any]], AsyncIterator[str]]:
    async def tokens(fields: dict[str, Any]) -> AsyncIterator[str]:
        async for token in streamer(fields):
            yield str(token)

    return tokens


class MessageSequenceAppender:
    """Feeds a `MessageSequence`: ``with appender: appender.append(...)``.

    Leaving the ``with`` block closes the sequence; an exception raised inside it takes its
    place in the sequence (and is swallowed there when `capture_errors` is on).
    """

    def __init__(self, channel: ReplyChannel, capture_errors: bool) -> None:
        self._channel = channel
        self.capture_errors = capture_errors
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
        """Start accepting messages."""
        if self._state != "new":
            raise AppenderClosedError("this appender was opened before")
        self._state = "open"
        return self

    def append(self, piece: Any, out_of_order: bool = False) -> Self:
        """Add anything a reply accepts, in order (or ahead of pending items)."""
        if self._state != "open":
            raise AppenderNotOpenError("open the appender (`with appender:`) before appending")
        if out_of_order:
            self._channel.reply_out_of_order(to_message_items(piece))
        else:
            self._channel.reply(to_message_items(piece))
        return self

    def inject_out_of_order(self, piece: Any) -> Self:
        """`append` ahead of pending items."""
        return self.append(piece, out_of_order=True)

    def close(self, exc_value: BaseException | None = None) -> bool:
        """End the sequence (with `exc_value` at its end if given)."""
        if self._state == "closed":
            return False
        self._state = "closed"
        if exc_value is None:
            self._channel.close()
            return False
        self._channel.fail(exc_value)
        return self.capture_errors and isinstance(exc_value, Exception)

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        return self.close(exc)


class MessageSequence:
    """A sequence fed by hand: ``message_appender`` in, ``sequence_promise`` out."""

    def __init__(
        self,
        *,
        appender_capture_errors: bool | Sentinel = NO_VALUE,
        start_soon: bool | Sentinel = NO_VALUE,
        errors_as_messages: bool | Sentinel = NO_VALUE,
    ) -> None:
        self.sequence_promise, channel = MessageSequencePromise.with_channel(
            errors_as_messages=given(errors_as_messages)
        )
        capture = given(appender_capture_errors)
        if capture is None:
            context = CorePromisingContext.current_or_none()
            capture = bool(getattr(context, "appenders_capture_errors_by_default", False))
        self.message_appender = MessageSequenceAppender(channel, capture)

    @classmethod
    def turn_into_sequence_promise(cls, messages: Any) -> MessageSequencePromise:
        """A lazily started sequence of `messages` (anything a reply accepts)."""
        return MessageSequencePromise.of(to_message_items(messages), start_asap=False)
