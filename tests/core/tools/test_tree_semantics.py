"""Slice 4: tool calls in the tree. A tool that counts its invocations shows that replay, fork,
rerun and export never run a recorded call again, and re-execution does, explicitly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from ramify.core import Agent, MemoryStore, Message, Node, Ramify, Session, UserMessage
from ramify.core.sessionfile import SessionFileError
from ramify.core.tools import (
    ConfirmationRequired,
    Tool,
    ToolCallsMessage,
    ToolResultMessage,
    agent_with_tools,
    reexecute,
    tool,
)

FAST = {"tokens_per_second": 0}


@dataclass
class Counter:
    """A calculator stand-in that counts its calls (the demo model calls "calculator")."""

    calls: list[str] = field(default_factory=list)

    def tool(self, **annotations: bool) -> Tool:
        @tool(name="calculator", **annotations)
        def calculator(expression: str) -> str:
            self.calls.append(expression)
            return f"{expression} (call {len(self.calls)})"

        return calculator


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    async with Ramify():
        yield await Session.create(MemoryStore())


async def _first_run(
    session: Session, counter: Counter, question: str = "what is 12*7", **kw: bool
) -> tuple[Agent, list[tuple[Node, Message]]]:
    agent = agent_with_tools([counter.tool(**kw)], alias="counting", policies={"*": "allow"})
    await session.append(UserMessage(question))
    await session.inquire(agent, **FAST).recorded()
    return agent, await session.path_messages("main")


async def test_one_run_calls_the_tool_once(session: Session) -> None:
    counter = Counter()
    _, path = await _first_run(session, counter)
    assert counter.calls == ["12*7"]
    assert isinstance(path[2][1], ToolResultMessage)
    assert path[2][1].text == "12*7 (call 1)"


async def test_asking_again_on_the_same_input_replays_without_calling(session: Session) -> None:
    counter = Counter()
    agent, path = await _first_run(session, counter)
    user_node = path[0][0]
    await session.fork(user_node, "again")
    replies = session.inquire(agent, "again", **FAST)
    await replies.recorded()
    assert replies.cache_hit
    assert counter.calls == ["12*7"]
    assert [node for node, _ in await session.path_messages("again")] == [n for n, _ in path]


async def test_a_fork_after_the_result_reuses_it(session: Session) -> None:
    counter = Counter()
    agent, path = await _first_run(session, counter)
    result_node = path[2][0]
    await session.fork(result_node, "after-result")
    await session.inquire(agent, "after-result", cache=False, **FAST).recorded()
    assert counter.calls == ["12*7"]
    forked = await session.path_messages("after-result")
    assert forked[2][0] == result_node
    assert "12*7 (call 1)" in forked[-1][1].text


async def test_a_fork_between_parallel_results_reuses_the_other_result(session: Session) -> None:
    counter = Counter()
    agent, path = await _first_run(session, counter, "what is 1+1 and 2+2")
    assert counter.calls == ["1+1", "2+2"]
    first_result = path[2][0]
    await session.fork(first_result, "between")
    await session.inquire(agent, "between", cache=False, **FAST).recorded()
    assert counter.calls == ["1+1", "2+2"]
    texts = [message.text for _, message in await session.path_messages("between")]
    assert texts[3] == "2+2 (call 2)"


async def test_rerunning_the_assistant_message_runs_only_the_siblings_new_calls(
    session: Session,
) -> None:
    counter = Counter()
    _, path = await _first_run(session, counter)
    asked_node, result_node = path[1][0], path[2][0]
    replies = session.rerun(asked_node, branch="retry")
    await replies.recorded()
    assert counter.calls == ["12*7", "12*7"]
    retried = await session.path_messages("retry")
    sibling, new_result = retried[1], retried[2]
    assert sibling[0].parent == asked_node.parent
    assert sibling[0] != asked_node
    assert isinstance(sibling[1], ToolCallsMessage)
    assert sibling[1].tool_calls[0].id != path[1][1].tool_calls[0].id  # type: ignore[attr-defined]
    assert new_result[0].parent == sibling[0].hash_key
    assert new_result[1].text == "12*7 (call 2)"
    # The original branch still ends as it did.
    assert [node for node, _ in await session.path_messages("main")] == [n for n, _ in path]
    assert (await session.children(asked_node)) == [result_node]


async def test_a_run_that_asks_the_same_calls_again_reuses_their_results(
    session: Session,
) -> None:
    counter = Counter()
    agent, path = await _first_run(session, counter)
    await session.fork(path[0][0], "same-again")
    # Not from the cache: the model is asked again and asks for the very same call.
    await session.inquire(agent, "same-again", cache=False, **FAST).recorded()
    assert counter.calls == ["12*7"]
    assert [n for n, _ in await session.path_messages("same-again")] == [n for n, _ in path]


async def test_reexecute_makes_a_sibling_result(session: Session) -> None:
    counter = Counter()
    _, path = await _first_run(session, counter)
    result_node = path[2][0]
    node = await reexecute(session, result_node, [counter.tool()])
    assert counter.calls == ["12*7", "12*7"]
    assert node.parent == result_node.parent
    assert node != result_node
    message = await session.message(node)
    assert isinstance(message, ToolResultMessage)
    assert message.text == "12*7 (call 2)"
    assert (await session.head("reexecute-1")) == node
    assert (await session.message(result_node)).text == "12*7 (call 1)"


@pytest.mark.parametrize("effect", ["destructive", "open_world"])
async def test_a_tool_with_side_effects_is_never_reexecuted_without_confirmation(
    session: Session, effect: str
) -> None:
    counter = Counter()
    _, path = await _first_run(session, counter, **{effect: True})
    result_node: Node = path[2][0]
    tools = [counter.tool(**{effect: True})]
    with pytest.raises(ConfirmationRequired, match="confirm=True"):
        await reexecute(session, result_node, tools)
    assert counter.calls == ["12*7"]
    assert [ref.name for ref in await session.branches()] == ["main"]
    await reexecute(session, result_node, tools, confirm=True)
    assert counter.calls == ["12*7", "12*7"]


async def test_export_import_and_replay_round_trip_calls_and_results(session: Session) -> None:
    counter = Counter()
    agent, path = await _first_run(session, counter, "what is 1+1 and 2+2")
    text = await session.export_markdown(scope="tree")
    # A reader of the file sees the calls and which tool each result came from.
    assert '- **tool call** `calculator({"expression":"1+1"})`' in text
    assert " · tool · calculator · " in text
    other = MemoryStore()
    imported = await Session.import_markdown(other, text)
    again = await imported.path_messages(imported.active_branch)
    assert [node for node, _ in again] == [node for node, _ in path]
    assert [type(message) for _, message in again] == [type(message) for _, message in path]
    asked = again[1][1]
    assert isinstance(asked, ToolCallsMessage)
    assert [call.arguments for call in asked.tool_calls] == [
        '{"expression":"1+1"}',
        '{"expression":"2+2"}',
    ]
    # Exported again, the file is the same; asked again there, the recorded run replays.
    assert await imported.export_markdown(scope="tree") == text
    await imported.fork(again[0][0], "replay")
    await imported.inquire(agent, "replay", **FAST).recorded()
    assert counter.calls == ["1+1", "2+2"]
    assert [n for n, _ in await imported.path_messages("replay")] == [n for n, _ in again]


async def test_a_hand_edited_tool_call_in_an_export_is_refused(session: Session) -> None:
    counter = Counter()
    await _first_run(session, counter)
    text = await session.export_markdown()
    edited = text.replace(
        '`calculator({"expression":"12*7"})`', '`calculator({"expression":"0*0"})`', 1
    )
    assert edited != text
    with pytest.raises(SessionFileError, match="edited"):
        await Session.import_markdown(MemoryStore(), edited)
