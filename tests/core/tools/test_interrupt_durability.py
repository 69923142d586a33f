"""A waiting run survives ``kill -9``: a child process runs a tool agent (or a plain model
agent) against the loopback fake provider into a real SQLite file until it waits at an
interrupt; it is killed there, and this process reopens the session, answers, and the run
finishes without the model being asked again for what it already said."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import Ramify, Session, SQLiteStore
from ramify.core.llm import close_clients
from ramify.core.runs import RunStatus
from ramify.core.testing import FakeProvider, Reply, ScriptedToolCall, fake_provider
from ramify.core.tools import (
    InterruptAnswer,
    InterruptMessage,
    ToolCallsMessage,
    ToolResultMessage,
    answer_interrupt,
    pending_interrupts,
)

from .interrupt_child import SESSION_ID, make_agent

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProvider]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-0123456789abcdef")
    async with fake_provider("unused") as server:
        yield server
        await close_clients()


async def _run_until_waiting(db: Path, fake: FakeProvider, mode: str) -> str:
    """Start the child, wait for its WAITING line, kill -9 it; the interrupt node's hash."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.core.tools.interrupt_child",
        str(db),
        fake.openai_base_url,
        mode,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        word, node = line.decode().split()
        assert word == "WAITING"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        await asyncio.wait_for(child.wait(), timeout=30)
    assert child.returncode == -signal.SIGKILL
    return node


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["approval", "breakpoint"])
async def test_a_waiting_run_survives_kill_9_and_resumes_without_asking_the_model_again(
    tmp_path: Path, fake: FakeProvider, mode: str
) -> None:
    fake.enqueue(
        Reply(
            text="Removing it.",
            tool_calls=[ScriptedToolCall("remove", '{"name": "notes.txt"}', id="call_rm")],
        ),
        Reply(text="Removed notes.txt."),
    )
    db = tmp_path / "durable.sqlite3"
    node = await _run_until_waiting(db, fake, mode)
    assert len(fake.requests) == 1
    calls = Path(str(db) + ".calls")
    assert not calls.exists()

    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.open(store, SESSION_ID)
        [run] = await session.runs()
        assert run.status is RunStatus.WAITING
        [(found, interrupt)] = await pending_interrupts(session)
        assert found == node
        assert interrupt.kind == mode
        decision = "allow_once" if mode == "approval" else "continue"
        agent = make_agent(str(db), fake.openai_base_url, mode)
        await (await answer_interrupt(session, node, decision, agent)).recorded()
        messages = [message for _, message in await session.path_messages("main")]
        assert await pending_interrupts(session) == []

    # The model was asked once before the kill and once after, for the next step: the step it
    # had already answered (the call) was read from the tree, not requested again.
    assert len(fake.requests) == 2
    roles = [item["role"] for item in fake.requests[1].json["messages"]]
    assert roles == ["user", "assistant", "tool"]
    assert calls.read_text(encoding="utf-8") == "notes.txt\n"
    result, answer = messages[-2:]
    assert isinstance(result, ToolResultMessage)
    assert result.text == "removed notes.txt"
    assert isinstance(answer, ToolCallsMessage)
    assert answer.text == "Removed notes.txt."


@pytest.mark.slow
async def test_a_plain_agent_waiting_after_its_reply_survives_kill_9_without_a_second_request(
    tmp_path: Path, fake: FakeProvider
) -> None:
    fake.enqueue(Reply(text="Trees have rings."))
    db = tmp_path / "durable.sqlite3"
    node = await _run_until_waiting(db, fake, "agent")
    assert len(fake.requests) == 1

    async with Ramify(), SQLiteStore(db) as store:
        session = await Session.open(store, SESSION_ID)
        [(found, interrupt)] = await pending_interrupts(session)
        assert (found, interrupt.point, interrupt.target) == (node, "after", "writer")
        [run] = await session.runs()
        assert run.status is RunStatus.WAITING
        agent = make_agent(str(db), fake.openai_base_url, "agent")
        await (await answer_interrupt(session, node, "continue", agent)).recorded()
        messages = [message for _, message in await session.path_messages("main")]
        assert await pending_interrupts(session) == []

    assert len(fake.requests) == 1
    assert [message.text for message in messages[:2]] == ["remove notes.txt", "Trees have rings."]
    assert isinstance(messages[2], InterruptMessage)
    assert isinstance(messages[3], InterruptAnswer)
    assert len(messages) == 4
