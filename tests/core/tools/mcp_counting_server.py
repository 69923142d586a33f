"""An MCP stdio server for the tests: a calculator that counts its calls in a file.

Environment: ``COUNT_FILE`` (the count), ``PID_FILE`` (each start appends its pid, so a test
can check every child was reaped).
"""

from __future__ import annotations

import os
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

COUNT = Path(os.environ["COUNT_FILE"])
with Path(os.environ["PID_FILE"]).open("a", encoding="utf-8") as pids:
    pids.write(f"{os.getpid()}\n")

server = MCPServer("counting")


@server.tool(
    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
)
def calculator(expression: str) -> str:
    """Count this call and echo the expression."""
    if os.environ.get("CRASH_ON_CALL"):
        os._exit(3)
    count = int(COUNT.read_text(encoding="utf-8")) + 1 if COUNT.exists() else 1
    COUNT.write_text(str(count), encoding="utf-8")
    return f"{expression} (call {count})"


@server.tool()
def crash() -> str:
    """End the server process mid-call."""
    os._exit(3)


@server.tool()
def refuse(reason: str) -> str:
    """Report a tool error."""
    raise ValueError(reason)


if __name__ == "__main__":
    server.run()
