"""The team and debate examples, run as the IDE runs them: `Session.inquire` on a branch."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ramify.core import (
    USER,
    Agent,
    AssistantMessage,
    InteractionContext,
    MemoryStore,
    MessagePromise,
    Ramify,
    Run,
    Session,
    UserMessage,
    agent,
)
from ramify.core.llm import demo_agent
from ramify.core.recording import RecordedReplies
from ramify.tui.agent_loader import load_agent_spec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPERTS = ["SCIENTIST", "ENGINEER", "ECONOMIST"]
# Fast, but every demo token still sleeps, so a reply spans ~100 loop turns.
FAST_DEMO = demo_agent.fork(tokens_per_second=1000)


def _example(spec: str) -> Agent:
    return load_agent_spec(str(EXAMPLES / spec))


@agent
async def transcript_llm(ctx: InteractionContext, **_ignored: Any) -> None:
    """A stand-in model that replies with its whole input as JSON ``[[role, text], ...]``."""
    messages = await ctx.message_promises
    text = json.dumps([[message.role, message.text] for message in messages])
    ctx.reply(AssistantMessage(text=text, agent_alias=ctx.this_agent.alias))


@agent
async def engineer_fails_llm(ctx: InteractionContext, **_ignored: Any) -> None:
    """The demo model, except that the ENGINEER's call fails."""
    if ctx.this_agent.alias == "ENGINEER":
        raise RuntimeError("engineer is offline")
    ctx.reply(FAST_DEMO.fork(alias=ctx.this_agent.alias).inquire(ctx.message_promises))


async def _ask(agent_: Agent, text: str, **kwargs: Any) -> tuple[Session, RecordedReplies]:
    """Put `text` on a fresh session's main branch and record `agent_`'s replies after it."""
    session = await Session.create(MemoryStore())
    await session.append(UserMessage(text=text), sender=USER)
    replies = session.inquire(agent_, **kwargs)
    await replies.recorded()
    return session, replies


def _at(timestamp: float | None) -> float:
    assert timestamp is not None
    return timestamp


async def _senders(session: Session) -> list[str]:
    return [node.sender for node in await session.path("main")]


async def _texts(session: Session) -> list[str]:
    return [message.text for _, message in await session.path_messages("main")]


# ---------------------------------------------------------------- parallel_team.py


async def test_team_records_three_experts_then_the_moderator() -> None:
    team = _example("parallel_team.py:team").fork(llm=FAST_DEMO)
    async with Ramify():
        session, replies = await _ask(team, "Is Rust worth it?")
        messages = await replies
    assert await _senders(session) == [USER, *EXPERTS, "MODERATOR"]
    assert [message.agent_alias for message in messages] == [*EXPERTS, "MODERATOR"]
    assert len(replies.run.output_nodes) == 4
    texts = await _texts(session)
    assert all("> Is Rust worth it?" in text for text in texts[1:4])
    # Each expert has its own persona, so the demo model gives each a different reply.
    assert len(set(texts[1:4])) == 3


async def test_team_experts_stream_at_the_same_time() -> None:
    team = _example("parallel_team.py:team").fork(llm=FAST_DEMO)
    async with Ramify():
        session, replies = await _ask(team, "Is Rust worth it?")
        runs = await session.runs(parent_run_id=replies.run.id)
    by_agent: dict[str, Run] = {run.agent: run for run in runs}
    assert sorted(by_agent) == sorted([*EXPERTS, "MODERATOR"])
    experts = [by_agent[alias] for alias in EXPERTS]
    first_tokens = [_at(run.first_token_at) for run in experts]
    ends = [_at(run.ended_at) for run in experts]
    # Every expert had its first token before any expert had finished: they overlapped.
    assert max(first_tokens) < min(ends)
    assert _at(by_agent["MODERATOR"].first_token_at) >= max(ends)


async def test_team_delivers_the_experts_as_promises_that_stream_token_by_token() -> None:
    team = _example("parallel_team.py:team").fork(llm=FAST_DEMO)
    async with Ramify():
        replies = team.inquire("Is Rust worth it?")
        iterator = replies.__aiter__()
        experts: list[MessagePromise] = [await iterator.__anext__() for _ in EXPERTS]
        # All three arrived while still streaming: none was awaited into text first.
        assert [promise.done() for promise in experts] == [False, False, False]
        assert [promise.agent_alias for promise in experts] == EXPERTS
        events: list[str] = []

        async def read(promise: MessagePromise) -> None:
            async for _ in promise:
                events.append(promise.agent_alias or "?")

        await asyncio.gather(*(read(promise) for promise in experts))
        moderator = await iterator.__anext__()
        assert moderator.agent_alias == "MODERATOR"
        assert len(await replies) == 4
    for alias in EXPERTS:
        assert events.count(alias) > 10
    first = {alias: events.index(alias) for alias in EXPERTS}
    last = {alias: len(events) - 1 - events[::-1].index(alias) for alias in EXPERTS}
    # Tokens interleave: each expert's first token came before every expert's last one.
    assert max(first.values()) < min(last.values())


async def test_team_moderator_reads_every_expert_answer() -> None:
    team = _example("parallel_team.py:team").fork(llm=transcript_llm)
    async with Ramify():
        session, _ = await _ask(team, "Is Rust worth it?")
    texts = await _texts(session)
    for index in range(1, len(EXPERTS) + 1):
        seen = json.loads(texts[index])
        assert seen[0][0] == "system"
        assert seen[-1] == ["user", "Is Rust worth it?"]
    moderator_input = json.loads(texts[4])
    for index, alias in enumerate(EXPERTS, start=1):
        assert ["user", f"{alias} answered:\n\n{texts[index]}"] in moderator_input


async def test_team_goes_on_when_one_expert_fails() -> None:
    team = _example("parallel_team.py:team").fork(llm=engineer_fails_llm)
    async with Ramify():
        session, replies = await _ask(team, "Is Rust worth it?")
        with pytest.raises(RuntimeError, match="engineer is offline"):
            await replies
    messages = [message for _, message in await session.path_messages("main")]
    senders = await _senders(session)
    assert senders[-1] == "MODERATOR"
    assert {"SCIENTIST", "ECONOMIST"} <= set(senders)
    errors = [message for message in messages if message.role == "error"]
    assert [error.text for error in errors] == ["RuntimeError: engineer is offline"]
    assert "ENGINEER answered" not in messages[-1].text


# ---------------------------------------------------------------- debate.py


async def test_debate_alternates_optimist_and_skeptic_for_two_rounds() -> None:
    debate = _example("debate.py:debate").fork(llm=FAST_DEMO)
    async with Ramify():
        session, replies = await _ask(debate, "Tabs beat spaces")
    senders = await _senders(session)
    assert senders == [USER, "OPTIMIST", "SKEPTIC", "OPTIMIST", "SKEPTIC"]
    messages = [message for _, message in await session.path_messages("main")][1:]
    assert [getattr(message, "agent_alias", None) for message in messages] == senders[1:]
    assert "Tabs beat spaces" in messages[0].text
    assert len(replies.run.output_nodes) == 4


async def test_debate_rounds_is_a_kwarg() -> None:
    debate = _example("debate.py:debate").fork(llm=FAST_DEMO)
    async with Ramify():
        session, _ = await _ask(debate, "Tabs beat spaces", rounds=3)
    assert await _senders(session) == [USER, *["OPTIMIST", "SKEPTIC"] * 3]


async def test_debate_turns_take_place_one_after_the_other() -> None:
    debate = _example("debate.py:debate").fork(llm=FAST_DEMO)
    async with Ramify():
        session, replies = await _ask(debate, "Tabs beat spaces")
        turns = await session.runs(parent_run_id=replies.run.id)
    assert [run.agent for run in turns] == ["OPTIMIST", "SKEPTIC", "OPTIMIST", "SKEPTIC"]
    for before, after in itertools.pairwise(turns):
        assert _at(before.ended_at) <= after.started_at


async def test_each_debater_answers_the_other_ones_previous_message() -> None:
    debate = _example("debate.py:debate").fork(llm=transcript_llm)
    async with Ramify():
        session, _ = await _ask(debate, "Tabs beat spaces")
    texts = (await _texts(session))[1:]
    seen = [json.loads(text) for text in texts]
    assert ["user", "Debate topic: Tabs beat spaces"] in seen[0]
    assert ["user", f"OPTIMIST said:\n\n{texts[0]}"] in seen[1]
    assert ["assistant", texts[0]] in seen[2]
    assert ["user", f"SKEPTIC said:\n\n{texts[1]}"] in seen[2]
    assert ["user", f"OPTIMIST said:\n\n{texts[2]}"] in seen[3]
    assert seen[3][-1][1].startswith("Your turn, SKEPTIC: answer OPTIMIST's last point.")


async def test_debate_without_a_topic_fails_with_a_clear_error() -> None:
    debate = _example("debate.py:debate").fork(llm=FAST_DEMO)
    async with Ramify():
        session = await Session.create(MemoryStore())
        replies = session.inquire(debate)
        with pytest.raises(ValueError, match="needs a topic"):
            await replies


# ---------------------------------------------------------------- as scripts


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, check=False
    )


def _headers(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("=== ")]


@pytest.mark.slow
def test_debate_runs_as_a_script() -> None:
    result = _script(str(EXAMPLES / "debate.py"), "Tabs beat spaces", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert _headers(result.stdout) == ["=== OPTIMIST ===", "=== SKEPTIC ==="]
    assert "Tabs beat spaces" in result.stdout


@pytest.mark.slow
def test_parallel_team_runs_as_a_script() -> None:
    result = _script(str(EXAMPLES / "parallel_team.py"), "Is Rust worth it?")
    assert result.returncode == 0, result.stderr
    assert _headers(result.stdout) == [f"=== {alias} ===" for alias in [*EXPERTS, "MODERATOR"]]
    assert result.stdout.count("> Is Rust worth it?") == 3
