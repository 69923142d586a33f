"""MiniAgents' pre-packaged agents."""

from .aggregator_agents import (
    AWAIT,
    CLEAR,
    agent_chain,
    agent_loop,
    console_user_agent,
    dialog_loop,
    user_agent,
)
from .history_agents import MarkdownHistoryAgent, in_memory_history_agent, markdown_history_agent
from .misc_agents import console_input_agent, console_output_agent

__all__ = [
    "AWAIT",
    "CLEAR",
    "MarkdownHistoryAgent",
    "agent_chain",
    "agent_loop",
    "console_input_agent",
    "console_output_agent",
    "console_user_agent",
    "dialog_loop",
    "in_memory_history_agent",
    "markdown_history_agent",
    "user_agent",
]
