"""MiniAgents' console agents: Ramify's, with MiniAgents' methods."""

from ramify.core.agents import console_input_agent as core_console_input_agent
from ramify.core.agents import console_output_agent as core_console_output_agent

from ...miniagents import MiniAgent

__all__ = ["console_input_agent", "console_output_agent"]

console_input_agent = MiniAgent.adopt(core_console_input_agent)
console_output_agent = MiniAgent.adopt(core_console_output_agent)
