"""Slice 5: a tool that raises, hangs past its timeout or returns what is not JSON gives an
error result node the model sees, in one clear line, and the run goes on or stops by policy."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ramify.core import ErrorMessage, MemoryStore, Message, Ramify, Session, UserMessage
from ramify.core.llm import close_clients
from ramify.core.testing import Reply, ScriptedToolCall, fake_provider
from ramify.core.tools import Tool, ToolCallsMessage, ToolResultMessage, agent_with_tools, tool

FAST = {"tokens_per_second": 0}


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with Ramify():
        yield await Session.create(MemoryStore())


async def _ask(session: Session, tools: list[Tool], **options: Any) -> list[Message]:
    agent = agent_with_tools(tools, alias="careful", **options)
    await session.append(UserMessage("what is 6*7"))
    await session.inquire(agent, **FAST).recorded()
    return [message for _, message in await session.path_messages("main")]


@tool(name="calculator")
def raising(expression: str) -> int:
    raise ZeroDivisionError("division by zero\nin a second line")


@tool(name="calculator", timeout=0.05)
async def hanging(expression: str) -> int:
    await asyncio.Event().wait()
    return 0


@tool(name="calculator")
def not_json(expression: str) -> object:
    return object()


@tool(name="calculator")
def not_a_number(expression: str) -> float:
    return math.nan


@pytest.mark.parametrize(
    ("broken", "line"),
    [
        (raising, "Error: tool calculator raised ZeroDivisionError: division by zero in a second"),
        (hanging, "Error: tool calculator timed out after 0.05 s"),
        (not_json, "Error: tool calculator returned a object, which is not JSON"),
        (not_a_number, "Error: tool calculator returned a float, which is not JSON"),
    ],
)
async def test_a_broken_tool_gives_an_error_result_the_model_reads(
    session: Session, broken: Tool, line: str
) -> None:
    messages = await _ask(session, [broken])
    result = messages[2]
    assert isinstance(result, ToolResultMessage)
    assert result.is_error
    assert result.text.startswith(line)
    assert "\n" not in result.text
    # The run went on: the model read the error and answered.
    answer = messages[3]
    assert isinstance(answer, ToolCallsMessage)
    assert "failed: Error: tool calculator" in answer.text


async def test_on_tool_error_stop_ends_the_run_without_asking_the_model_again(
    session: Session,
) -> None:
    messages = await _ask(session, [raising], on_tool_error="stop")
    assert [type(message).__name__ for message in messages] == [
        "UserMessage",
        "ToolCallsMessage",
        "ToolResultMessage",
        "ErrorMessage",
    ]
    stopped = messages[-1]
    assert isinstance(stopped, ErrorMessage)
    assert stopped.error_type == "ToolFailed"
    assert stopped.text.startswith("ToolFailed: calculator: Error: tool calculator raised")
    assert "(the run stopped)" in stopped.text


async def test_an_unknown_tool_is_an_error_result(session: Session) -> None:
    @tool
    def other(value: int) -> int:
        return value

    messages = await _ask(session, [other])
    # The demo model only calls tools it was offered; a real model may not: script one.
    assert len(messages) == 2
    async with fake_provider() as fake:
        fake.enqueue(
            Reply(text="", tool_calls=[ScriptedToolCall("nope", "{}", id="c")]), Reply(text="ok")
        )
        agent = agent_with_tools(
            [other], api="openai", alias="x", model="m", base_url=fake.openai_base_url
        )
        await session.append(UserMessage("go"))
        await session.inquire(agent, api_key_env=None).recorded()
        sent = fake.requests[1].messages[-1]
        await close_clients()
    assert sent["role"] == "tool"
    assert sent["content"] == "Error: there is no tool called 'nope' (tools: other)"


async def test_the_model_reads_a_refused_call_and_the_tool_never_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAMIFY_TEST_KEY", "sk-ant-test-0123456789abcdef")
    runs: list[int] = []

    @tool
    def double(value: int) -> int:
        runs.append(value)
        return value * 2

    async with Ramify(), fake_provider() as fake:
        fake.enqueue(
            Reply(tool_calls=[ScriptedToolCall("double", '{"value": "many"}', id="c1")]),
            Reply(text="Sorry."),
        )
        agent = agent_with_tools(
            [double], api="anthropic", alias="d", model="claude-test", base_url=fake.base_url
        )
        session = await Session.create(MemoryStore())
        await session.append(UserMessage("double many"))
        await session.inquire(agent, api_key_env="RAMIFY_TEST_KEY").recorded()
        result = fake.requests[1].messages[-1]["content"][0]
        await close_clients()
    assert runs == []
    assert result["type"] == "tool_result"
    assert result["is_error"] is True
    assert result["content"].startswith("Error: arguments do not match the schema of double")


def test_a_blocking_tool_that_hangs_does_not_keep_the_process_alive() -> None:
    script = textwrap.dedent(
        """
        import asyncio, threading
        from ramify.core import Ramify
        from ramify.core.tools import ToolCall, run_call, tool

        stuck = threading.Event()

        @tool(timeout=0.05)
        def blocking() -> int:
            stuck.wait()
            return 1

        async def main():
            async with Ramify():
                result = await run_call({"blocking": blocking}, ToolCall(id="c", name="blocking"))
                print(result.text)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Error: tool blocking timed out after 0.05 s"
