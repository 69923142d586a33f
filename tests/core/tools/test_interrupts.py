"""Approvals and breakpoints: policies, interrupt nodes, answers and sibling answers, run with
the offline demo model (no key, no network)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ramify.core import MemoryStore, Message, Ramify, Session, UserMessage
from ramify.core.runs import RunStatus
from ramify.core.tools import (
    InterruptAnswer,
    InterruptMessage,
    ToolCallsMessage,
    ToolResultMessage,
    agent_with_tools,
    answer_interrupt,
    interrupt_settings,
    pending_interrupt,
    pending_interrupts,
    tool,
)
from ramify.core.tools.tool import Tool

FAST = {"tokens_per_second": 0}


class Counter:
    """A `calculator` stand-in that counts its calls and keeps their arguments."""

    def __init__(self) -> None:
        self.expressions: list[str] = []

    def tool(self, **annotations: bool) -> Tool:
        @tool(name="calculator", **annotations)
        def calculator(expression: str) -> str:
            self.expressions.append(expression)
            return f"counted {expression}"

        return calculator


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with Ramify():
        yield await Session.create(MemoryStore())


async def _path(session: Session, branch: str = "main") -> list[Message]:
    return [message for _, message in await session.path_messages(branch)]


async def _ask(session: Session, agent: object, text: str = "what is 12*7") -> list[Message]:
    await session.append(UserMessage(text))
    await session.inquire(agent, **FAST).recorded()  # type: ignore[arg-type]
    return await _path(session)


async def test_a_read_only_tool_runs_without_asking(session: Session) -> None:
    counter = Counter()
    messages = await _ask(session, agent_with_tools([counter.tool(read_only=True)]))
    assert counter.expressions == ["12*7"]
    assert not any(isinstance(message, InterruptMessage) for message in messages)
    assert await pending_interrupts(session) == []


async def test_an_ask_policy_records_an_interrupt_and_the_run_waits(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(destructive=True)], alias="asker")
    messages = await _ask(session, agent)
    _user, asked, interrupt = messages
    assert isinstance(asked, ToolCallsMessage)
    assert isinstance(interrupt, InterruptMessage)
    assert interrupt.kind == "approval"
    assert [(call.name, call.arguments) for call in interrupt.calls] == [
        ("calculator", '{"expression":"12*7"}')
    ]
    assert counter.expressions == []
    [run] = await session.runs()
    assert run.status is RunStatus.WAITING
    [(node, found)] = await pending_interrupts(session)
    assert found == interrupt
    assert await pending_interrupt(session, asked.tool_calls[0].id) == (node, interrupt)
    assert await pending_interrupt(session, "another call") is None


async def test_a_denied_call_gives_an_error_result_the_model_reads(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(read_only=True)], policies={"calc*": "deny"})
    messages = await _ask(session, agent)
    result = messages[2]
    assert isinstance(result, ToolResultMessage)
    assert result.is_error
    assert "denied" in result.text
    assert counter.expressions == []
    assert isinstance(messages[-1], ToolCallsMessage)
    assert messages[-1].tool_calls == ()
    assert "denied" in messages[-1].text


async def test_allow_once_runs_the_recorded_call_and_goes_on(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(destructive=True)], alias="asker")
    await _ask(session, agent)
    [(node, _)] = await pending_interrupts(session)
    await (await answer_interrupt(session, node, "allow_once", agent, **FAST)).recorded()
    messages = await _path(session)
    kinds = [type(message).__name__ for message in messages]
    assert kinds == [
        "UserMessage",
        "ToolCallsMessage",
        "InterruptMessage",
        "InterruptAnswer",
        "ToolResultMessage",
        "ToolCallsMessage",
    ]
    assert counter.expressions == ["12*7"]
    assert "counted 12*7" in messages[-1].text
    assert await pending_interrupts(session) == []
    runs = await session.runs()
    assert [run.status for run in runs] == [RunStatus.DONE, RunStatus.DONE]


async def test_reject_refuses_the_call_and_the_model_reads_why(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(destructive=True)], alias="asker")
    await _ask(session, agent)
    [(node, _)] = await pending_interrupts(session)
    await (await answer_interrupt(session, node, "reject", agent, **FAST)).recorded()
    result = (await _path(session))[4]
    assert isinstance(result, ToolResultMessage)
    assert result.is_error
    assert "rejected" in result.text
    assert counter.expressions == []


async def test_answering_again_differently_makes_a_sibling_branch(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(destructive=True)], alias="asker")
    await _ask(session, agent)
    [(node, _)] = await pending_interrupts(session)
    await (await answer_interrupt(session, node, "reject", agent, **FAST)).recorded()
    await (await answer_interrupt(session, node, "allow_once", agent, **FAST)).recorded()
    answers = await session.children(node)
    decisions = sorted(
        message.decision
        for message in await session.messages(answers)
        if isinstance(message, InterruptAnswer)
    )
    assert decisions == ["allow_once", "reject"]
    refs = {ref.name: ref.head for ref in await session.branches()}
    assert set(refs) == {"main", "answer-1"}
    main, other = await _path(session, "main"), await _path(session, "answer-1")
    assert "rejected" in main[4].text
    assert other[4].text == "counted 12*7"
    assert counter.expressions == ["12*7"]


async def test_allow_always_stops_asking_for_that_tool(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(destructive=True)], alias="asker")
    await _ask(session, agent)
    [(node, _)] = await pending_interrupts(session)
    await (await answer_interrupt(session, node, "allow_always", agent, **FAST)).recorded()
    assert interrupt_settings(session).policies == {"calculator": "allow"}
    messages = await _ask(session, agent, "what is 2+3")
    assert counter.expressions == ["12*7", "2+3"]
    assert not isinstance(messages[-2], InterruptMessage)


async def test_a_wrong_answer_is_refused_with_what_to_do(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(destructive=True)], alias="asker")
    messages = await _ask(session, agent)
    [(node, _)] = await pending_interrupts(session)
    with pytest.raises(ValueError, match="allow_once, allow_always or reject"):
        await answer_interrupt(session, node, "continue", agent)
    with pytest.raises(ValueError, match="nothing to edit"):
        await answer_interrupt(session, node, "allow_once", agent, edited="x")
    user_node = (await session.path("main"))[0]
    with pytest.raises(ValueError, match="not an interrupt"):
        await answer_interrupt(session, user_node.hash_key, "allow_once", agent)
    assert len(messages) == 3


async def test_the_config_sets_a_policy_by_tool_name(session: Session) -> None:
    from ramify.core.llm.agents import demo_agent
    from ramify.core.llm.config import ConfigError, parse_config
    from ramify.core.tools import with_tools

    config = parse_config('[tools.calculator]\npolicy = "ask"\n')
    assert config.tool_policies() == {"calculator": "ask"}
    counter = Counter()
    agent = with_tools(demo_agent, [counter.tool(read_only=True)], policies=config.tool_policies())
    messages = await _ask(session, agent)
    assert isinstance(messages[-1], InterruptMessage)
    assert counter.expressions == []
    with pytest.raises(ConfigError):
        parse_config('[tools.calculator]\npolicy = "sometimes"\n')
