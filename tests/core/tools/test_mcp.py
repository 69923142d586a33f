"""Slice 6: MCP stdio servers as tools, through the official SDK, with a server that counts
its calls: one run counts 1; replay, a fork after the result and export + import leave it at
1; re-execute makes 2; every child process is reaped; a crashed or missing server gives an
error result node."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import MemoryStore, Ramify, Session, UserMessage
from ramify.core.llm import parse_config
from ramify.core.tools import ToolResultMessage, agent_with_tools, reexecute
from ramify.core.tools.mcp import McpError, McpServer, configured_servers, mcp_tools

SERVER = Path(__file__).with_name("mcp_counting_server.py")
FAST = {"tokens_per_second": 0}
pytestmark = pytest.mark.timeout(300)


def _server(tmp_path: Path, script: Path = SERVER, **env: str) -> McpServer:
    return McpServer(
        "counting",
        sys.executable,
        (str(script),),
        env={"COUNT_FILE": str(tmp_path / "count"), "PID_FILE": str(tmp_path / "pids"), **env},
    )


def _count(tmp_path: Path) -> int:
    path = tmp_path / "count"
    return int(path.read_text(encoding="utf-8")) if path.exists() else 0


def _all_reaped(tmp_path: Path) -> bool:
    pids = [int(line) for line in (tmp_path / "pids").read_text(encoding="utf-8").split()]
    assert pids
    for pid in pids:
        try:
            os.kill(pid, 0)  # a zombie (not reaped) still answers
        except ProcessLookupError:
            continue
        return False
    return True


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with Ramify():
        yield await Session.create(MemoryStore())


async def test_mcp_calls_run_once_and_only_reexecute_runs_them_again(
    session: Session, tmp_path: Path
) -> None:
    tools = await mcp_tools(_server(tmp_path))
    calculator = next(item for item in tools if item.name == "calculator")
    assert calculator.parameters["required"] == ["expression"]
    assert not calculator.annotations.has_side_effects
    crash = next(item for item in tools if item.name == "crash")
    assert crash.annotations.destructive  # no hints: MCP's defaults
    assert crash.annotations.open_world

    agent = agent_with_tools(tools, alias="mcp")
    await session.append(UserMessage("what is 12*7"))
    await session.inquire(agent, **FAST).recorded()
    assert _count(tmp_path) == 1
    path = await session.path_messages("main")
    result_node, result = path[2]
    assert isinstance(result, ToolResultMessage)
    assert result.text == "12*7 (call 1)"

    # Replay from the run cache, a fork after the result, export then import: still 1.
    await session.fork(path[0][0], "replay")
    replayed = session.inquire(agent, "replay", **FAST)
    await replayed.recorded()
    assert replayed.cache_hit
    await session.fork(result_node, "after")
    await session.inquire(agent, "after", cache=False, **FAST).recorded()
    imported = await Session.import_markdown(MemoryStore(), await session.export_markdown("tree"))
    assert [n for n, _ in await imported.path_messages(imported.active_branch)] == [
        n for n, _ in path
    ]
    assert _count(tmp_path) == 1

    node = await reexecute(session, result_node, tools)
    assert _count(tmp_path) == 2
    assert (await session.message(node)).text == "12*7 (call 2)"
    assert _all_reaped(tmp_path)


async def test_a_server_that_crashes_mid_call_gives_an_error_result(
    session: Session, tmp_path: Path
) -> None:
    tools = await mcp_tools(_server(tmp_path, CRASH_ON_CALL="1"))
    await session.append(UserMessage("what is 1+1"))
    await session.inquire(agent_with_tools(tools, alias="mcp"), **FAST).recorded()
    result = (await session.path_messages("main"))[2][1]
    assert isinstance(result, ToolResultMessage)
    assert result.is_error
    assert result.text == (
        "Error: tool calculator raised McpError: MCP server 'counting' failed: Connection closed"
    )
    assert _all_reaped(tmp_path)


async def test_a_server_gone_missing_gives_an_error_result(
    session: Session, tmp_path: Path
) -> None:
    script = tmp_path / "server.py"
    shutil.copy(SERVER, script)
    tools = await mcp_tools(_server(tmp_path, script))
    script.unlink()
    await session.append(UserMessage("what is 1+1"))
    await session.inquire(agent_with_tools(tools, alias="mcp"), **FAST).recorded()
    result = (await session.path_messages("main"))[2][1]
    assert isinstance(result, ToolResultMessage)
    assert result.is_error
    assert "MCP server 'counting' failed" in result.text
    assert _count(tmp_path) == 0


async def test_a_server_that_cannot_start_is_one_clear_line() -> None:
    with pytest.raises(McpError) as caught:
        await mcp_tools(McpServer("nowhere", "/nonexistent/ramify-mcp-server"))
    assert str(caught.value) == (
        "MCP server 'nowhere' could not start: command not found: /nonexistent/ramify-mcp-server"
    )


def test_servers_are_read_from_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMIFY_TEST_SECRET", "s3cret")
    config = parse_config(
        """
        [mcp_servers.files]
        command = "uvx"
        args = ["mcp-server-filesystem", "."]
        env = { LOG_LEVEL = "debug" }
        env_from = ["RAMIFY_TEST_SECRET", "RAMIFY_NOT_SET"]
        """
    )
    (server,) = configured_servers(config)
    assert server == McpServer(
        "files",
        "uvx",
        ("mcp-server-filesystem", "."),
        env={"LOG_LEVEL": "debug"},
        env_from=("RAMIFY_TEST_SECRET", "RAMIFY_NOT_SET"),
    )
    assert server.environment() == {"LOG_LEVEL": "debug", "RAMIFY_TEST_SECRET": "s3cret"}


def test_importing_the_tools_package_imports_no_sdk_and_no_textual() -> None:
    code = (
        "import sys, ramify.core.tools, ramify.core.tools.mcp; "
        "print(sorted(m for m in ('mcp', 'openai', 'anthropic', 'textual', 'jsonschema') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


async def test_tools_from_the_config_and_a_server_that_cannot_start(tmp_path: Path) -> None:
    from ramify.core.tools import configured_tools

    config = parse_config(
        f"""
        [mcp_servers.counting]
        command = "{sys.executable}"
        args = ["{SERVER}"]
        env = {{ COUNT_FILE = "{tmp_path / "count"}", PID_FILE = "{tmp_path / "pids"}" }}

        [mcp_servers.gone]
        command = "/nonexistent/ramify-mcp-server"
        """
    )
    tools, problems = await configured_tools(config)
    assert [item.name for item in tools] == [
        "calculator",
        "clock",
        "counting__calculator",
        "crash",
        "refuse",
    ]
    assert problems == [
        "MCP server 'gone' could not start: command not found: /nonexistent/ramify-mcp-server; "
        "its tools are left out"
    ]
    renamed = next(item for item in tools if item.name == "counting__calculator")
    assert await renamed.function(expression="2+2") == "2+2 (call 1)"
    assert _all_reaped(tmp_path)
