"""MiniAgents' `AnthropicAgent`: Ramify's Anthropic agent (the SDK loads on first use; the
key comes from the environment only; extra kwargs such as ``model=`` go to the SDK)."""

from ramify.core.llm import anthropic_agent

from ...miniagents import MiniAgent

__all__ = ["AnthropicAgent"]

AnthropicAgent = MiniAgent.adopt(anthropic_agent, alias="ANTHROPIC_AGENT")
