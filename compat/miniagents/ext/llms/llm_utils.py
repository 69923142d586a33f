"""MiniAgents' LLM message classes, as compat `TextMessage`s with a role."""

from __future__ import annotations

from typing import Any, ClassVar

from ramify.core.messages import Message as CoreMessage

from ...messages import TextMessage

__all__ = ["AssistantMessage", "LLMMessage", "SystemMessage", "UserMessage", "message_to_llm_dict"]


class LLMMessage(TextMessage):
    """A text message with a `role`."""

    type_tag: ClassVar[str] = "miniagents.LLMMessage"


class UserMessage(LLMMessage):
    """What a person wrote."""

    type_tag: ClassVar[str] = "miniagents.UserMessage"
    role: str | None = "user"


class SystemMessage(LLMMessage):
    """Instructions for a model."""

    type_tag: ClassVar[str] = "miniagents.SystemMessage"
    role: str | None = "system"


class AssistantMessage(LLMMessage):
    """What a model replied."""

    type_tag: ClassVar[str] = "miniagents.AssistantMessage"
    role: str | None = "assistant"
    model: str | None = None
    agent_alias: str | None = None


def message_to_llm_dict(message: CoreMessage, default_role: str = "user") -> dict[str, Any]:
    """``{"role": ..., "content": ...}`` for a provider's chat API."""
    return {"role": message.role or default_role, "content": str(message)}
