"""Turn Ramify messages into each provider's conversation format.

A message's ``role`` may be None (a plain `Message`); the caller decides what that means
with ``default_role`` (a role, or a function of the message). Error messages are records of
failures, not conversation, so they are never sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..messages import Message

__all__ = ["DefaultRole", "anthropic_conversation", "openai_conversation", "resolve_role"]

DefaultRole = str | Callable[[Message], str]

#: The user turn Anthropic needs when a conversation would start with the assistant.
PLACEHOLDER_USER_TURN = "(continue)"

_ROLES = ("system", "user", "assistant")


def resolve_role(message: Message, default_role: DefaultRole) -> str | None:
    """The conversation role of `message`, or None for a message never sent (errors)."""
    role = message.role
    if role == "error":
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
        role = resolve_role(message, default_role)
        if role is not None:
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
        role = resolve_role(message, default_role)
        if role is None or not message.text.strip():
            continue
        if role == "system":
            system_parts.append(message.text)
        elif turns and turns[-1]["role"] == role:
            turns[-1]["content"] += "\n\n" + message.text
        else:
            turns.append({"role": role, "content": message.text})
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": PLACEHOLDER_USER_TURN})
    return ("\n\n".join(system_parts) or None), turns
