"""Messages: the immutable, hashed content that agents send and the tree stores.

A message has no position: the same message can sit under many parents. Its place in a
conversation is a `Node` (see `ramify.core.tree`).
"""

from __future__ import annotations

import json
import re
import traceback as traceback_module
from collections.abc import Mapping
from enum import Enum
from functools import cache
from typing import Any

from .frozen import Frozen
from .typed_values import LEAF_TYPES, plain_leaf

__all__ = [
    "AssistantMessage",
    "ErrorMessage",
    "Message",
    "SystemMessage",
    "UserMessage",
]


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _encodable(text: str) -> str:
    # A message refuses lone surrogates (UTF-8 cannot hold them); an error must still be
    # recorded when its text or what streamed before it carries one, so each becomes U+FFFD.
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


class Message(Frozen):
    """A piece of conversation. ``str(message)`` is its text, or `data_text` when it has none.

    Subclass it to add typed fields: ``class Bid(Message): amount: Decimal; due: date``.
    Fields may hold what `Frozen` freezes (JSON values, datetime, date, time, timedelta, UUID,
    Decimal, Path, bytes, Enum, frozenset, nested `Frozen` models, and containers of them).
    The text may be passed positionally: ``Message("hi")``.
    """

    text: str = ""
    role: str | None = None

    def __init__(self, text: str | None = None, /, **data: Any) -> None:
        if text is not None:
            if "text" in data:
                raise TypeError("text given both positionally and by keyword")
            data["text"] = text
        super().__init__(**data)

    def __str__(self) -> str:
        if self.text:
            return self.text
        fields = self._data_fields()
        # A message with neither text nor data (an empty user turn) stays the empty string.
        return f"{self._tag()} {json.dumps(_plain(fields), ensure_ascii=False)}" if fields else ""

    def data_text(self) -> str:
        """The type name and the fields as one line of JSON: ``Bid {"amount": "1.50"}``.

        Left out: the fields Ramify's own message classes declare (text, role, an assistant
        reply's model and token counts...) and its ``cancelled`` mark, which say how a message
        was made rather than what it says, and fields left at a None default. Typed values
        show in their readable form (a datetime as ISO 8601, a Decimal as its digits), so this
        is for reading, not for reading back: `to_data` is the stored form.
        """
        return f"{self._tag()} {json.dumps(_plain(self._data_fields()), ensure_ascii=False)}"

    def _data_fields(self) -> dict[str, Any]:
        declared = type(self).model_fields
        hidden = _ramify_fields(type(self))
        return {
            name: value
            for name, value in self.hashed_fields().items()
            if name not in hidden
            and not (value is None and name in declared and declared[name].default is None)
        }


@cache
def _ramify_fields(cls: type[Message]) -> frozenset[str]:
    """Fields that Ramify's own message classes among `cls`'s bases declare, and ``cancelled``."""
    names = {"cancelled"}
    for base in cls.__mro__:
        if base in _RAMIFY_MESSAGE_CLASSES:
            names.update(base.model_fields)  # type: ignore[attr-defined]
    return frozenset(names)


def _plain(value: Any) -> Any:
    """A JSON-ready, readable copy of a frozen value (see `Message.data_text`)."""
    if value is None or isinstance(value, (str, int, float)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Frozen):
        return _plain(value.hashed_fields())
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, frozenset):
        return sorted((_plain(item) for item in value), key=json.dumps)
    if isinstance(value, LEAF_TYPES):
        return plain_leaf(value)
    return repr(value)


class UserMessage(Message):
    """What a person wrote."""

    role: str | None = "user"


class SystemMessage(Message):
    """Instructions for a model."""

    role: str | None = "system"


class AssistantMessage(Message):
    """What a model or agent replied, with the provider's report on how it was made."""

    role: str | None = "assistant"
    model: str | None = None
    agent_alias: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None


class ErrorMessage(Message):
    """An exception recorded in the tree, at the position where it happened.

    ``text`` is the one-line ``"<type>: <message>"``; ``partial_text`` keeps whatever had
    streamed before a failure mid-message.
    """

    role: str | None = "error"
    error_type: str
    error_text: str = ""
    traceback: str | None = None
    partial_text: str = ""

    @classmethod
    def from_exception(
        cls,
        error: BaseException,
        *,
        partial_text: str = "",
        with_traceback: bool = False,
        **fields: Any,
    ) -> ErrorMessage:
        """Describe `error`, optionally with its formatted traceback."""
        error_type = type(error).__name__
        error_text = _encodable(str(error))
        partial_text = _encodable(partial_text)
        trace = None
        if with_traceback:
            trace = _encodable("".join(traceback_module.format_exception(error)))
        line = f"{error_type}: {error_text}" if error_text else error_type
        return cls(
            text=line,
            error_type=error_type,
            error_text=error_text,
            traceback=trace,
            partial_text=partial_text,
            **fields,
        )


_RAMIFY_MESSAGE_CLASSES = frozenset(
    {Message, UserMessage, SystemMessage, AssistantMessage, ErrorMessage}
)
