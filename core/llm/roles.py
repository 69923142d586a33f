"""Turn Ramify messages into each provider's conversation format.

A message's ``role`` may be None (a plain `Message`); the caller decides what that means
with ``default_role`` (a role, or a function of the message). Error messages are records of
failures, not conversation, so they are never sent.

Tool use is read from the messages' fields, not their classes (this layer sits below
`ramify.core.tools`): an assistant message's ``tool_calls`` (each with ``id``, ``name`` and
``arguments`` JSON text) and a ``role="tool"`` message's ``call_id``, ``name`` and
``is_error``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..messages import Message

__all__ = [
    "DefaultRole",
    "anthropic_conversation",
    "openai_conversation",
    "resolve_role",
    "tool_calls_of",
]

DefaultRole = str | Callable[[Message], str]

#: The user turn Anthropic needs when a conversation would start with the assistant.
PLACEHOLDER_USER_TURN = "(continue)"

_ROLES = ("system", "user", "assistant")


def tool_calls_of(message: Message) -> tuple[Any, ...]:
    """The tool calls an assistant message carries (empty for any other message)."""
    calls = getattr(message, "tool_calls", None)
    return tuple(calls) if calls else ()


def _is_tool_result(message: Message) -> bool:
    return message.role == "tool" and isinstance(getattr(message, "call_id", None), str)


def _arguments_object(text: str) -> Any:
    """A call's arguments as JSON for Anthropic's ``input`` (malformed text: an empty object,
    since the call was refused and its error result says why)."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def resolve_role(message: Message, default_role: DefaultRole) -> str | None:
    """The conversation role of `message`, or None for a message never sent (errors)."""
    role = message.role
    if role in ("error", "interrupt"):
        # Failures and interrupts (a run stopped for a person) are records, not conversation.
        return None
    if role in _ROLES:
        return role
    if role is None:
        return default_role if isinstance(default_role, str) else default_role(message)
    return "user"


def openai_conversation(
    messages: Sequence[Message], *, system: str | None = None, default_role: DefaultRole = "user"
) -> list[dict[str, Any]]:
    """Chat Completions ``messages``: `system` first, then the messages in order."""
    result: list[dict[str, Any]] = []
    if system:
        result.append({"role": "system", "content": system})
    for message in messages:
        if _is_tool_result(message):
            call_id = getattr(message, "call_id", "")
            result.append({"role": "tool", "tool_call_id": call_id, "content": message.text})
            continue
        role = resolve_role(message, default_role)
        calls = tool_calls_of(message)
        if role == "assistant" and calls:
            result.append(
                {
                    "role": "assistant",
                    "content": message.text or None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": call.arguments},
                        }
                        for call in calls
                    ],
                }
            )
        elif role is not None:
            result.append({"role": role, "content": message.text})
    return result


def anthropic_conversation(
    messages: Sequence[Message], *, system: str | None = None, default_role: DefaultRole = "user"
) -> tuple[str | None, list[dict[str, Any]]]:
    """Anthropic's ``(system, messages)``.

    System text (the `system` argument, then system messages) goes to the ``system``
    parameter; consecutive turns of one role are merged with a blank line, since the API
    wants them to alternate; empty turns are dropped (the API rejects them); and a
    placeholder user turn is put first when the conversation would start otherwise.
    """
    system_parts = [system] if system else []
    turns: list[dict[str, Any]] = []
    for message in messages:
        content: str | list[dict[str, Any]]
        if _is_tool_result(message):
            role = "user"
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": getattr(message, "call_id", ""),
                "content": message.text,
            }
            if getattr(message, "is_error", False):
                block["is_error"] = True
            content = [block]
        else:
            maybe_role = resolve_role(message, default_role)
            calls = tool_calls_of(message) if maybe_role == "assistant" else ()
            if maybe_role is None or (not calls and not message.text.strip()):
                continue
            role = maybe_role
            if calls:
                content = [{"type": "text", "text": message.text}] if message.text.strip() else []
                content += [
                    {
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": _arguments_object(call.arguments),
                    }
                    for call in calls
                ]
            else:
                content = message.text
        if role == "system":
            system_parts.append(message.text)
        elif turns and turns[-1]["role"] == role:
            turns[-1]["content"] = _merged(turns[-1]["content"], content)
        else:
            turns.append({"role": role, "content": content})
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": PLACEHOLDER_USER_TURN})
    return ("\n\n".join(system_parts) or None), turns


def _merged(
    first: str | list[dict[str, Any]], second: str | list[dict[str, Any]]
) -> str | list[dict[str, Any]]:
    """Two turns of one role as one (the API wants roles to alternate): text joined with a
    blank line; when either holds blocks (tool use, tool results), the blocks in order."""
    if isinstance(first, str) and isinstance(second, str):
        return first + "\n\n" + second

    def blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"type": "text", "text": content}] if isinstance(content, str) else content

    return blocks(first) + blocks(second)
