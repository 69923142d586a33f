"""The agents layer: `@agent`, `InteractionContext`, the `Ramify` runtime, loops, history."""

from .agent import Agent, agent, default_alias
from .calls import AgentCall, AgentReplies
from .console import console_input_agent, console_output_agent, console_user_agent
from .context import CallScope, InteractionContext
from .history import (
    in_memory_history_agent,
    markdown_history_agent,
    parse_markdown_history,
    render_markdown_history,
)
from .loops import AWAIT, CLEAR, agent_chain, agent_loop, dialog_loop
from .runtime import Ramify

__all__ = [
    "AWAIT",
    "CLEAR",
    "Agent",
    "AgentCall",
    "AgentReplies",
    "CallScope",
    "InteractionContext",
    "Ramify",
    "agent",
    "agent_chain",
    "agent_loop",
    "console_input_agent",
    "console_output_agent",
    "console_user_agent",
    "default_alias",
    "dialog_loop",
    "in_memory_history_agent",
    "markdown_history_agent",
    "parse_markdown_history",
    "render_markdown_history",
]
