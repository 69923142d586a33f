"""MiniAgents' `ext.llms`: LLM message classes and the OpenAI / Anthropic agents."""

from .anthropic import AnthropicAgent
from .llm_utils import AssistantMessage, LLMMessage, SystemMessage, UserMessage, message_to_llm_dict
from .openai import OpenAIAgent

__all__ = [
    "AnthropicAgent",
    "AssistantMessage",
    "LLMMessage",
    "OpenAIAgent",
    "SystemMessage",
    "UserMessage",
    "message_to_llm_dict",
]
