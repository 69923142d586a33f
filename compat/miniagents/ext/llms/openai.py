"""MiniAgents' `OpenAIAgent`: Ramify's OpenAI agent (the SDK loads on first use; the key
comes from the environment only; extra kwargs such as ``model=`` go to the SDK)."""

from ramify.core.llm import openai_agent

from ...miniagents import MiniAgent

__all__ = ["OpenAIAgent"]

OpenAIAgent = MiniAgent.adopt(openai_agent, alias="OPENAI_AGENT")
