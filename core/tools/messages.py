"""The tree shape of tool use: an assistant message carrying its calls, and one result message
per call.

Each result is its own node, chained after the assistant node in call order. Both hash only
what the model sees (the call's id, name and argument text; the result's text and whether it
failed); how long a tool took is kept beside the result (excluded from the hash), so running
the same call again with the same outcome lands on the same node.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ..frozen import Frozen
from ..messages import AssistantMessage, Message

__all__ = ["TOOL_ROLE", "ToolCall", "ToolCallsMessage", "ToolResultMessage"]

#: The ``role`` of a tool result, as Chat Completions names it.
TOOL_ROLE = "tool"


class ToolCall(Frozen):
    """One call a model asked for: its provider id, the tool's name and the arguments as the
    JSON text the model wrote (kept as written, so a malformed call is recorded too)."""

    type_tag: ClassVar[str] = "ramify.ToolCall"

    id: str
    name: str
    arguments: str = "{}"


class ToolCallsMessage(AssistantMessage):
    """A model's reply that asks for tool calls (``tool_calls`` empty: a plain final answer)."""

    type_tag: ClassVar[str] = "ramify.ToolCallsMessage"

    tool_calls: tuple[ToolCall, ...] = ()


class ToolResultMessage(Message):
    """What one tool call returned, as the model will read it.

    ``text`` is the result (JSON text, or the string the tool returned); a failure (the tool
    raised, timed out, returned what is not JSON, or the call was refused) has ``is_error``
    and a one-line ``text`` saying what went wrong, which the model sees too.
    """

    type_tag: ClassVar[str] = "ramify.ToolResultMessage"

    role: str | None = TOOL_ROLE
    call_id: str
    name: str
    is_error: bool = False
    #: Milliseconds the tool ran; provenance, not part of the hash.
    duration_ms: float | None = Field(default=None, exclude=True)
