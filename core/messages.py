"""Messages: the immutable, hashed content that agents send and the tree stores.

A message has no position: the same message can sit under many parents. Its place in a
conversation is a `Node` (see `ramify.core.tree`).
"""

from __future__ import annotations

import re
import traceback as traceback_module
from typing import Any

from .frozen import Frozen

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
    """A piece of conversation. ``str(message)`` is its text.

    Subclass it to add fields: ``class CustomMessage(Message): custom_field: str``.
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
        return self.text


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
