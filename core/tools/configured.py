"""The tools a session gets from the command line's ``--tools``: the demo tools and every MCP
server in the config, each server listed once at start-up."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .demo import DEMO_TOOLS
from .mcp import McpError, configured_servers, mcp_tools
from .tool import Tool

if TYPE_CHECKING:
    from ..llm.config import RamifyConfig

__all__ = ["configured_tools"]


async def configured_tools(config: RamifyConfig | None = None) -> tuple[list[Tool], list[str]]:
    """The demo tools and the tools of the config's MCP servers, and one line per server that
    could not be listed (it is left out; the rest still work).

    A server's tool whose name is already taken is offered as ``<server>__<tool>`` (it is
    still called by its own name on its server).
    """
    tools = dict(DEMO_TOOLS)
    problems: list[str] = []
    for server in configured_servers(config):
        try:
            listed = await mcp_tools(server)
        except McpError as error:
            problems.append(f"{error}; its tools are left out")
            continue
        for item in listed:
            name = item.name if item.name not in tools else f"{server.name}__{item.name}"
            tools[name] = dataclasses.replace(item, name=name)
    return list(tools.values()), problems
