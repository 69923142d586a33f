"""MCP servers as tools, over stdio, through the official `mcp` SDK (the ``mcp`` extra,
imported only here and only when a server is used).

    server = McpServer("files", command="uvx", args=("mcp-server-filesystem", "."))
    tools = await mcp_tools(server)              # started for the listing, then stopped
    agent = agent_with_tools(tools, api="openai", model="gpt-4o-mini")

Servers can be listed in the config (``[mcp_servers.NAME]`` with ``command``, ``args``,
``env``, ``env_from``, ``cwd``; `configured_servers`). Each call starts the server, calls
the tool and stops it again: no process outlives a call, a crash harms only that call, and
the SDK's shutdown (terminate, then kill) reaps the child whatever ends the call, a timeout
or a cancel included. A server that cannot start, crashes, or reports a tool error gives the
call an error result (`McpError`, one line). Annotations follow MCP's defaults: a tool that
does not say otherwise is taken as destructive and open-world, so it is never re-executed
without confirmation.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .tool import Tool, ToolAnnotations

if TYPE_CHECKING:
    from ..llm.config import RamifyConfig

__all__ = ["McpError", "McpServer", "configured_servers", "mcp_tools"]


class McpError(RuntimeError):
    """An MCP server could not start, broke off, or its tool reported an error."""


@dataclass(frozen=True)
class McpServer:
    """How to start one MCP server over stdio.

    ``env`` is merged over the SDK's safe default environment; ``env_from`` names variables
    of this process passed through (keys stay in the environment, never in a file).
    """

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    env_from: tuple[str, ...] = ()
    cwd: str | None = None

    def environment(self) -> dict[str, str]:
        """The extra variables the child gets."""
        passed = {name: os.environ[name] for name in self.env_from if name in os.environ}
        return {**self.env, **passed}


def configured_servers(config: RamifyConfig | None = None) -> list[McpServer]:
    """The servers of the config's ``[mcp_servers.NAME]`` tables (`load_config()` by default)."""
    from ..llm.config import load_config

    config = config if config is not None else load_config()
    return [
        McpServer(
            name=name,
            command=entry.command,
            args=tuple(entry.args),
            env=dict(entry.env),
            env_from=tuple(entry.env_from),
            cwd=entry.cwd,
        )
        for name, entry in config.mcp_servers.items()
    ]


def _leaf(error: BaseException) -> BaseException:
    # anyio task groups wrap the cause in exception groups; the first leaf says what happened.
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _describe(server: McpServer, error: BaseException) -> str:
    cause = _leaf(error)
    if isinstance(cause, McpError):
        return str(cause)
    if isinstance(cause, FileNotFoundError):
        return f"MCP server {server.name!r} could not start: command not found: {server.command}"
    if isinstance(cause, OSError):
        return f"MCP server {server.name!r} could not start: {cause.strerror or cause}"
    detail = " ".join(str(cause).split()) or type(cause).__name__
    return f"MCP server {server.name!r} failed: {detail}"


@asynccontextmanager
async def _connected(server: McpServer) -> AsyncIterator[Any]:
    """A client connected to a freshly started `server`; leaving it stops and reaps it."""
    try:
        from mcp import Client, StdioServerParameters, stdio_client
    except ImportError:
        raise McpError("MCP servers need the mcp extra: pip install 'ramify[mcp]'") from None
    parameters = StdioServerParameters(
        command=server.command,
        args=list(server.args),
        env=server.environment(),
        cwd=server.cwd,
    )
    try:
        # The child's stderr (tracebacks, logs) would land on the IDE's screen: it is dropped.
        with open(os.devnull, "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - never blocks
            async with Client(stdio_client(parameters, errlog=errlog), mode="legacy") as client:
                yield client
    except McpError:
        raise
    except Exception as error:
        raise McpError(_describe(server, error)) from None


def _result_text(result: Any) -> str:
    """What the model reads: the text blocks, else the structured result, else every block
    as JSON (images and resources are not sent on as they are)."""
    texts = [getattr(block, "text", None) for block in result.content]
    if texts and all(isinstance(text, str) for text in texts):
        return "\n".join(text for text in texts if text is not None)
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        return json.dumps(structured, ensure_ascii=False)
    blocks = [block.model_dump(by_alias=True, mode="json") for block in result.content]
    return json.dumps(blocks, ensure_ascii=False)


def _annotations(tool: Any) -> ToolAnnotations:
    hints = getattr(tool, "annotations", None)
    read_only = bool(getattr(hints, "read_only_hint", None) or False)
    destructive = getattr(hints, "destructive_hint", None)
    open_world = getattr(hints, "open_world_hint", None)
    return ToolAnnotations(
        read_only=read_only,
        destructive=(True if destructive is None else bool(destructive)) and not read_only,
        open_world=True if open_world is None else bool(open_world),
    )


def _caller(server: McpServer, name: str) -> Any:
    async def call(**arguments: Any) -> str:
        async with _connected(server) as client:
            try:
                result = await client.call_tool(name, arguments)
            except Exception as error:
                raise McpError(_describe(server, error)) from None
        text = _result_text(result)
        if result.is_error:
            raise McpError(f"MCP tool {name} on {server.name!r} failed: {' '.join(text.split())}")
        return text

    call.__name__ = name
    return call


async def mcp_tools(server: McpServer) -> list[Tool]:
    """The tools `server` offers, as `Tool`s whose calls run on a fresh server each.

    Raises `McpError` (one line) when the server cannot start or list its tools.
    """
    async with _connected(server) as client:
        try:
            listed = (await client.list_tools()).tools
        except Exception as error:
            raise McpError(_describe(server, error)) from None
    return [
        Tool(
            name=item.name,
            description=item.description or "",
            function=_caller(server, item.name),
            annotations=_annotations(item),
            input_schema=dict(item.input_schema),
        )
        for item in listed
    ]
