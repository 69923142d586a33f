"""Slice 2: the tool loop, run with the offline demo model (no key, no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ramify.core import ErrorMessage, MemoryStore, Message, Ramify, Session, UserMessage
from ramify.core.tools import (
    ToolCallsMessage,
    ToolResultMessage,
    agent_with_tools,
    calculator,
    demo_tool_agent,
    tool,
)

FAST = {"tokens_per_second": 0}


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with Ramify():
        yield await Session.create(MemoryStore())


async def _ask(session: Session, text: str, agent: object) -> list[Message]:
    await session.append(UserMessage(text))
    replies = session.inquire(agent, **FAST)  # type: ignore[arg-type]
    await replies.recorded()
    return [message for _, message in await session.path_messages(session.active_branch)]


async def test_demo_model_calls_the_calculator_and_answers_from_its_result(
    session: Session,
) -> None:
    messages = await _ask(session, "what is 12*7", demo_tool_agent)
    _user, asked, result, answer = messages
    assert isinstance(asked, ToolCallsMessage)
    assert [(call.name, call.arguments) for call in asked.tool_calls] == [
        ("calculator", '{"expression":"12*7"}')
    ]
    assert isinstance(result, ToolResultMessage)
    assert result.call_id == asked.tool_calls[0].id
    assert result.text == "84"
    assert isinstance(answer, ToolCallsMessage)
    assert answer.tool_calls == ()
    assert "**84**" in answer.text


async def test_each_step_is_a_node_chained_in_order(session: Session) -> None:
    await _ask(session, "what is 2+3 and 10/4", demo_tool_agent)
    path = await session.path_messages(session.active_branch)
    kinds = [type(message).__name__ for _, message in path]
    assert kinds == [
        "UserMessage",
        "ToolCallsMessage",
        "ToolResultMessage",
        "ToolResultMessage",
        "ToolCallsMessage",
    ]
    assert [message.text for _, message in path[2:4]] == ["5", "2.5"]
    assert {node.sender for node, _ in path[1:]} == {"demo-tools"}
    run = await session.get_run(path[1][0].run_id or "")
    assert run.output_nodes[-1] == path[-1][0].hash_key


async def test_parallel_calls_run_concurrently(session: Session) -> None:
    started: list[str] = []
    both_started = asyncio.Event()

    @tool(name="calculator")
    async def rendezvous(expression: str) -> str:
        # Each call waits for the other to start: run one after the other, they would hang.
        started.append(expression)
        if len(started) == 2:
            both_started.set()
        await asyncio.wait_for(both_started.wait(), 10)
        return f"ok {expression}"

    agent = agent_with_tools([rendezvous], alias="pair")
    messages = await _ask(session, "what is 1+1 and 2+2", agent)
    assert sorted(started) == ["1+1", "2+2"]
    assert [message.text for message in messages[2:4]] == ["ok 1+1", "ok 2+2"]


async def test_no_tool_is_called_when_none_is_needed(session: Session) -> None:
    messages = await _ask(session, "tell me about branches", demo_tool_agent)
    assert len(messages) == 2
    assert isinstance(messages[1], ToolCallsMessage)
    assert messages[1].tool_calls == ()


async def test_the_loop_stops_at_its_step_limit(session: Session) -> None:
    calls = 0

    @tool(name="calculator")
    def again(expression: str) -> str:
        nonlocal calls
        calls += 1
        return "ask me again: 1+1"

    # The demo model answers tool results with a final answer, so a user-side loop is
    # simulated by a one-step limit: the calls run, then the run stops without an answer.
    agent = agent_with_tools([again], alias="limited", max_steps=1)
    messages = await _ask(session, "what is 1+1", agent)
    assert calls == 1
    assert isinstance(messages[-1], ErrorMessage)
    assert messages[-1].error_type == "StepLimitReached"
    assert "max_steps" in messages[-1].text


async def test_the_loop_works_outside_a_session() -> None:
    async with Ramify():
        replies = demo_tool_agent.inquire("what is 6*7", **FAST)
        texts = [message.text for message in await replies]
    assert texts[1] == "42"
    assert "**42**" in texts[-1]


async def test_calculator_refuses_anything_but_arithmetic() -> None:
    assert calculator.function("2**10") == 1024
    with pytest.raises(ValueError, match="only numbers"):
        calculator.function("__import__('os')")
    with pytest.raises(ValueError, match="too large"):
        calculator.function("9**9**9")


async def test_a_running_call_is_replied_before_it_ends() -> None:
    release = asyncio.Event()

    @tool(name="calculator")
    async def slow(expression: str) -> str:
        await asyncio.wait_for(release.wait(), 30)
        return "done"

    agent = agent_with_tools([slow], alias="slow")
    async with Ramify():
        promises = aiter(agent.inquire("what is 1+1", **FAST))
        asked = await (await anext(promises))
        assert isinstance(asked, ToolCallsMessage)
        running = await anext(promises)
        # The pane for the call opens now, while the tool still runs.
        assert running.message_class is ToolResultMessage
        assert running.known_beforehand["call_id"] == asked.tool_calls[0].id
        assert not release.is_set()
        release.set()
        result = await running
        assert isinstance(result, ToolResultMessage)
        assert (result.name, result.text, result.is_error) == ("calculator", "done", False)
        answer = await (await anext(promises))
        assert "**done**" in answer.text


def test_an_agent_for_a_provider_needs_a_model_and_a_known_api() -> None:
    with pytest.raises(TypeError, match="needs a model"):
        agent_with_tools([calculator], api="openai")
    with pytest.raises(ValueError, match="unknown api 'gemini'"):
        agent_with_tools([calculator], api="gemini")  # type: ignore[arg-type]
