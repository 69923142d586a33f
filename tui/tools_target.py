"""``ramify --tools``: the target model with the demo tools and the config's MCP servers,
under the config's ``[tools.NAME] policy`` entries."""

from __future__ import annotations

from ramify.core import Agent
from ramify.core.llm import RamifyConfig


async def equip_with_tools(target: Agent, config: RamifyConfig) -> tuple[Agent, list[str]]:
    """`target` running the tool loop, and start-up notices (a server that could not be listed;
    an agent file, which chooses its own tools, left as it is)."""
    from ramify.core.tools import configured_tools, with_tools

    tools, problems = await configured_tools(config)
    try:
        return with_tools(target, tools, policies=config.tool_policies()), problems
    except TypeError:
        return target, [
            f"--tools needs a model; {target.alias} is an agent and keeps its own tools"
        ]
