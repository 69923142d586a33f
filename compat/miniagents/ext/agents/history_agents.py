"""MiniAgents' history agents: Ramify's, with MiniAgents' methods."""

from ramify.core.agents import in_memory_history_agent as core_in_memory_history_agent
from ramify.core.agents import markdown_history_agent as core_markdown_history_agent

from ...miniagents import MiniAgent

__all__ = ["MarkdownHistoryAgent", "in_memory_history_agent", "markdown_history_agent"]

in_memory_history_agent = MiniAgent.adopt(core_in_memory_history_agent)
markdown_history_agent = MiniAgent.adopt(core_markdown_history_agent)
MarkdownHistoryAgent = MiniAgent.adopt(core_markdown_history_agent, alias="MARKDOWN_HISTORY_AGENT")
"""MiniAgents' class-based markdown history agent; here the same agent under that name
(kwargs: ``history_md_file``, ``default_role``, ``return_full_history``)."""
