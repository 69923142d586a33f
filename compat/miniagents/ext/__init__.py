"""MiniAgents' `ext`: loops, chains, history and console agents (`ext.llms`: LLM agents)."""

from .agents import (
    AWAIT,
    CLEAR,
    MarkdownHistoryAgent,
    agent_chain,
    agent_loop,
    console_input_agent,
    console_output_agent,
    console_user_agent,
    dialog_loop,
    in_memory_history_agent,
    markdown_history_agent,
    user_agent,
)

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
