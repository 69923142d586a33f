"""Breakpoints on plain model agents (no tools): the demo model, and OpenAI and Anthropic
agents against the loopback fake provider, stop before the model is asked or after its reply,
wait, and go on from the answer (an edit included) without the model being asked again, in a
new session object over the same SQLite file too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import AssistantMessage, Message, Ramify, Session, SQLiteStore, UserMessage
from ramify.core.agents import Agent, InteractionContext, agent
from ramify.core.llm import anthropic_agent, close_clients, demo_agent, openai_agent
from ramify.core.runs import RunStatus
from ramify.core.testing import FakeProvider, Reply, fake_provider
from ramify.core.tools import (
    InterruptAnswer,
    InterruptMessage,
    answer_interrupt,
    interrupt_settings,
    pending_interrupts,
)

DEMO = demo_agent.fork(alias="demo-writer", tokens_per_second=0)


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    return tmp_path / "breakpoints.sqlite3"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProvider]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-0123456789abcdef")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef")
    async with fake_provider("unused") as server:
        yield server
        await close_clients()


def _gpt(fake: FakeProvider) -> Agent:
    return openai_agent.fork(alias="gpt-writer", model="gpt-4o-mini", base_url=fake.openai_base_url)


async def _path(session: Session) -> list[Message]:
    return [message for _, message in await session.path_messages("main")]


async def _start(db: Path, agent: Agent, point: str, pattern: str, text: str) -> str:
    """Set the breakpoint, ask `agent` in a session over `db`; the waiting interrupt's node."""
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.create(store, session_id="bp")
        interrupt_settings(session).add_breakpoint(point, pattern)
        await session.append(UserMessage(text))
        await session.inquire(agent).recorded()
        [run] = await session.runs()
        assert run.status is RunStatus.WAITING
        [(node, _)] = await pending_interrupts(session)
        return node


async def _answer(db: Path, agent: Agent, node: str, edited: str | None = None) -> list[Message]:
    """In a new session object over `db` (a restart), continue from `node`; the path after."""
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.open(store, "bp")
        replies = await answer_interrupt(session, node, "continue", agent, edited=edited)
        await replies.recorded()
        assert await pending_interrupts(session) == []
        assert {run.status for run in await session.runs()} == {RunStatus.DONE}
        return await _path(session)


async def test_before_the_demo_agent_it_waits_and_an_edit_is_what_the_model_reads(
    db: Path,
) -> None:
    node = await _start(db, DEMO, "before", "demo-*", "tell me about trees")
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.open(store, "bp")
        user, interrupt = await _path(session)
        assert isinstance(interrupt, InterruptMessage)
        assert (interrupt.kind, interrupt.point, interrupt.target) == (
            "breakpoint",
            "before",
            "demo-writer",
        )
        assert interrupt.pending == "tell me about trees"
        assert interrupt.editable
    path = await _answer(db, DEMO, node, edited="tell me about rivers")
    user, _interrupt, answer, reply = path
    assert isinstance(answer, InterruptAnswer)
    assert answer.edited == "tell me about rivers"
    assert isinstance(reply, AssistantMessage)
    assert "rivers" in reply.text
    assert "trees" not in reply.text
    # The recorded question stays as it was typed.
    assert user.text == "tell me about trees"


async def test_after_the_demo_agent_it_waits_and_continue_adds_no_second_reply(db: Path) -> None:
    node = await _start(db, DEMO, "after", "demo-writer", "tell me about trees")
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.open(store, "bp")
        _user, reply, interrupt = await _path(session)
        assert isinstance(reply, AssistantMessage)
        assert "trees" in reply.text
        assert isinstance(interrupt, InterruptMessage)
        assert (interrupt.point, interrupt.pending) == ("after", None)
    path = await _answer(db, DEMO, node)
    assert [type(message).__name__ for message in path] == [
        "UserMessage",
        "AssistantMessage",
        "InterruptMessage",
        "InterruptAnswer",
    ]


async def test_a_breakpoint_for_tools_only_leaves_a_plain_agent_alone(db: Path) -> None:
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.create(store, session_id="bp")
        interrupt_settings(session).add_breakpoint("before", "*", kind="tool")
        await session.append(UserMessage("hello"))
        await session.inquire(DEMO).recorded()
        assert await pending_interrupts(session) == []
        assert [type(message).__name__ for message in await _path(session)] == [
            "UserMessage",
            "AssistantMessage",
        ]


async def test_a_member_called_inside_another_agents_run_is_not_stopped(db: Path) -> None:
    # Its caller could not go on from an answer, so only the session's own runs stop.
    @agent(alias="lead")
    async def lead(ctx: InteractionContext) -> None:
        ctx.reply(DEMO.inquire(await ctx.message_promises))

    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.create(store, session_id="bp")
        interrupt_settings(session).add_breakpoint("before", "demo-*")
        await session.append(UserMessage("hello"))
        await session.inquire(lead).recorded()
        assert await pending_interrupts(session) == []
        _user, reply = await _path(session)
        assert isinstance(reply, AssistantMessage)
        assert {run.agent for run in await session.runs()} == {"lead", "demo-writer"}


async def test_before_an_openai_agent_the_edit_goes_to_the_provider_once(
    db: Path, fake: FakeProvider
) -> None:
    fake.enqueue(Reply(text="Rivers run to the sea."))
    node = await _start(db, _gpt(fake), "before", "gpt-*", "tell me about trees")
    assert fake.requests == []
    path = await _answer(db, _gpt(fake), node, edited="tell me about rivers")
    [request] = fake.requests
    assert [item["content"] for item in request.json["messages"]] == ["tell me about rivers"]
    assert path[-1].text == "Rivers run to the sea."


async def test_after_an_openai_agent_continue_never_asks_the_provider_again(
    db: Path, fake: FakeProvider
) -> None:
    fake.enqueue(Reply(text="Trees have rings."))
    node = await _start(db, _gpt(fake), "after", "gpt-writer", "tell me about trees")
    assert len(fake.requests) == 1
    path = await _answer(db, _gpt(fake), node)
    assert len(fake.requests) == 1
    assert [message.text for message in path][:2] == ["tell me about trees", "Trees have rings."]
    assert isinstance(path[-1], InterruptAnswer)


async def test_before_and_after_the_same_agent_stop_once_each(db: Path, fake: FakeProvider) -> None:
    fake.enqueue(Reply(text="Trees have rings."))
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.create(store, session_id="bp")
        settings = interrupt_settings(session)
        settings.add_breakpoint("before", "gpt-writer", kind="agent")
        settings.add_breakpoint("after", "gpt-writer")
        await session.append(UserMessage("tell me about trees"))
        await session.inquire(_gpt(fake)).recorded()
        [(node, interrupt)] = await pending_interrupts(session)
        assert interrupt.point == "before"
    await _answer_keeping_one_pending(db, _gpt(fake), node, "after")
    assert len(fake.requests) == 1
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.open(store, "bp")
        [(node, _)] = await pending_interrupts(session)
    await _answer(db, _gpt(fake), node)
    assert len(fake.requests) == 1


async def _answer_keeping_one_pending(db: Path, agent: Agent, node: str, point: str) -> None:
    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.open(store, "bp")
        await (await answer_interrupt(session, node, "continue", agent)).recorded()
        [(_, interrupt)] = await pending_interrupts(session)
        assert interrupt.point == point


async def test_before_an_anthropic_agent_the_edit_goes_to_the_provider_once(
    db: Path, fake: FakeProvider
) -> None:
    fake.enqueue(Reply(text="Rivers run to the sea."))
    claude = anthropic_agent.fork(
        alias="claude-writer", model="claude-test", base_url=fake.anthropic_base_url
    )
    node = await _start(db, claude, "before", "claude-*", "tell me about trees")
    assert fake.requests == []
    path = await _answer(db, claude, node, edited="tell me about rivers")
    [request] = fake.requests
    assert "tell me about rivers" in str(request.json["messages"])
    assert "trees" not in str(request.json["messages"])
    assert path[-1].text == "Rivers run to the sea."
