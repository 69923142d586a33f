"""Breakpoints: before or after a tool or an agent (or only one kind), by name or glob;
continue, or edit the pending text and continue (offline demo model, tool loop agents; plain
model agents are in test_agent_breakpoints.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import MemoryStore, Message, Ramify, Session, UserMessage
from ramify.core.runs import RunStatus
from ramify.core.tools import (
    InterruptMessage,
    ToolResultMessage,
    agent_with_tools,
    answer_interrupt,
    interrupt_settings,
    pending_interrupts,
)
from ramify.core.tools.policy import Breakpoint, InterruptSettings

from .test_interrupts import FAST, Counter


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with Ramify():
        yield await Session.create(MemoryStore())


async def _path(session: Session, branch: str = "main") -> list[Message]:
    return [message for _, message in await session.path_messages(branch)]


async def _waiting(session: Session) -> tuple[str, InterruptMessage]:
    [found] = await pending_interrupts(session)
    return found


async def test_a_breakpoint_before_a_tool_stops_and_an_edit_changes_the_call(
    session: Session,
) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(read_only=True)], alias="solver")
    interrupt_settings(session).add_breakpoint("before", "calc*")
    await session.append(UserMessage("what is 12*7"))
    await session.inquire(agent, **FAST).recorded()
    node, interrupt = await _waiting(session)
    assert (interrupt.kind, interrupt.point, interrupt.target) == (
        "breakpoint",
        "before",
        "calculator",
    )
    assert interrupt.pending == '{"expression":"12*7"}'
    assert counter.expressions == []
    [run] = await session.runs()
    assert run.status is RunStatus.WAITING
    replies = await answer_interrupt(
        session, node, "continue", agent, edited='{"expression":"6*7"}', **FAST
    )
    await replies.recorded()
    assert counter.expressions == ["6*7"]
    assert await pending_interrupts(session) == []


async def test_a_breakpoint_after_a_tool_stops_before_the_model_reads_the_result(
    session: Session,
) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(read_only=True)], alias="solver")
    interrupt_settings(session).add_breakpoint("after", "calculator")
    await session.append(UserMessage("what is 12*7"))
    await session.inquire(agent, **FAST).recorded()
    node, interrupt = await _waiting(session)
    assert interrupt.point == "after"
    assert interrupt.pending == "counted 12*7"
    messages = await _path(session)
    assert isinstance(messages[-2], ToolResultMessage)
    replies = await answer_interrupt(session, node, "continue", agent, edited="99", **FAST)
    await replies.recorded()
    final = (await _path(session))[-1]
    # The model read the edited result; the recorded result node is unchanged.
    assert "99" in final.text
    assert messages[-2].text == "counted 12*7"
    assert counter.expressions == ["12*7"]


async def test_a_breakpoint_before_an_agent_stops_before_its_model_step(
    session: Session,
) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(read_only=True)], alias="calc-agent")
    interrupt_settings(session).add_breakpoint("before", "calc-*")
    await session.append(UserMessage("what is 12*7"))
    await session.inquire(agent, **FAST).recorded()
    node, interrupt = await _waiting(session)
    assert (interrupt.point, interrupt.target, interrupt.pending) == (
        "before",
        "calc-agent",
        "what is 12*7",
    )
    assert len(await _path(session)) == 2
    replies = await answer_interrupt(session, node, "continue", agent, edited="what is 2+3", **FAST)
    await replies.recorded()
    # The next model step (after the result) is a new position: the breakpoint stops again.
    node, interrupt = await _waiting(session)
    assert interrupt.pending == "counted 2+3"
    await (await answer_interrupt(session, node, "continue", agent, **FAST)).recorded()
    assert counter.expressions == ["2+3"]
    assert await pending_interrupts(session) == []


async def test_a_breakpoint_after_an_agent_behind_a_final_answer_just_ends(
    session: Session,
) -> None:
    agent = agent_with_tools([], alias="plain")
    interrupt_settings(session).add_breakpoint("after", "plain")
    await session.append(UserMessage("tell me about branches"))
    await session.inquire(agent, **FAST).recorded()
    node, interrupt = await _waiting(session)
    assert interrupt.point == "after"
    before = len(await _path(session))
    await (await answer_interrupt(session, node, "continue", agent, **FAST)).recorded()
    assert len(await _path(session)) == before + 1
    assert [run.status for run in await session.runs()] == [RunStatus.DONE, RunStatus.DONE]


async def test_breakpoints_and_choices_survive_a_new_settings_object(session: Session) -> None:
    settings = interrupt_settings(session)
    settings.add_breakpoint("before", "calc*")
    settings.set_policy("rm", "deny")
    again = InterruptSettings(settings.path)
    assert again.stops("before", "calculator")
    assert not again.stops("after", "calculator")
    assert again.policies == {"rm": "deny"}
    assert again.remove_breakpoint("before", "calc*")
    assert not InterruptSettings(settings.path).breakpoints


def test_a_breakpoint_kind_is_kept_and_an_old_settings_file_reads_as_any(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"breakpoints": [["before", "calc*"]], "policies": {}}', encoding="utf-8")
    settings = InterruptSettings(path)
    assert settings.breakpoints == [Breakpoint("before", "calc*", "any")]
    settings.add_breakpoint("after", "gpt-*", kind="agent")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["breakpoints"] == [["before", "calc*"], ["after", "gpt-*", "agent"]]
    again = InterruptSettings(path)
    assert again.stops("after", "gpt-4o", "agent")
    assert not again.stops("after", "gpt-4o", "tool")
    assert again.stops("before", "calculator", "tool")
    assert again.stops("before", "calculator", "agent")
    assert again.breakpoints[1].describe() == "after agent gpt-*"
    assert not again.remove_breakpoint("after", "gpt-*")
    assert again.remove_breakpoint("after", "gpt-*", "agent")


async def test_a_tool_breakpoint_skips_an_agent_of_the_same_name(session: Session) -> None:
    counter = Counter()
    agent = agent_with_tools([counter.tool(read_only=True)], alias="calculator")
    interrupt_settings(session).add_breakpoint("before", "calculator", kind="tool")
    await session.append(UserMessage("what is 12*7"))
    await session.inquire(agent, **FAST).recorded()
    _node, interrupt = await _waiting(session)
    # Not before the agent's model step (an agent), but before the call (a tool).
    assert interrupt.key.startswith("before-tool:")
    assert interrupt.pending == '{"expression":"12*7"}'


def test_bad_breakpoints_and_policies_say_what_to_do(tmp_path: object) -> None:
    from pathlib import Path

    settings = InterruptSettings(Path(str(tmp_path)) / "s.json")
    with pytest.raises(ValueError, match="before or after"):
        settings.add_breakpoint("during", "x")
    with pytest.raises(ValueError, match="glob"):
        settings.add_breakpoint("before", " ")
    with pytest.raises(ValueError, match="a tool, an agent, a task or any"):
        settings.add_breakpoint("before", "x", kind="model")
    with pytest.raises(ValueError, match="allow, ask or deny"):
        settings.set_policy("x", "maybe")
    with pytest.raises(ValueError, match="allow, ask or deny"):
        agent_with_tools([], policies={"x": "maybe"})  # type: ignore[dict-item]
