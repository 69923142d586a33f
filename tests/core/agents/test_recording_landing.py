"""Where a run's replies land: under their own input, on a new branch when the branch moved
on, on a recovery branch when a write fails; and what a rerun makes (or does not make)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import (
    USER,
    Agent,
    InteractionContext,
    Ramify,
    RunStatus,
    Session,
    SQLiteStore,
    Store,
    UserMessage,
    agent,
)
from ramify.core.llm import demo_agent
from tests.servers.stores import STORE_KINDS, new_store


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with new_store(request.param, request, tmp_path / "l.db") as backend:
        yield backend


async def _texts(session: Session, branch: str) -> list[tuple[str, str]]:
    return [(node.sender, message.text) for node, message in await session.path_messages(branch)]


async def test_a_reply_goes_under_its_own_input_when_another_run_moved_the_branch(
    store: Store,
) -> None:
    release = asyncio.Event()
    read_input = asyncio.Event()

    @agent
    async def slow(ctx: InteractionContext) -> None:
        history = await ctx.message_promises
        read_input.set()
        await release.wait()
        ctx.reply([f"A answers {history[-1].text}", "A goes on"])

    @agent
    async def quick(ctx: InteractionContext) -> None:
        history = await ctx.message_promises
        ctx.reply(f"B answers {history[-1].text}")

    async with Ramify():
        session = await Session.create(store)
        question_a = await session.append(UserMessage(text="qa"), branch="main")
        run_a = session.inquire(slow, "main")
        await read_input.wait()
        # A has read its input and waits; meanwhile B's question and answer reach main.
        await session.append(UserMessage(text="qb"), branch="main")
        assert [str(m) for m in await session.inquire(quick, "main")] == ["B answers qb"]
        release.set()
        await run_a
        run = await run_a.recorded()
    assert await _texts(session, "main") == [
        (USER, "qa"),
        (USER, "qb"),
        ("QUICK", "B answers qb"),
    ]
    assert run_a.moved_to == "main-moved-1"
    assert await _texts(session, "main-moved-1") == [
        (USER, "qa"),
        ("SLOW", "A answers qa"),
        ("SLOW", "A goes on"),
    ]
    first, second = [await session.resolve(key) for key in run.output_nodes]
    assert first.parent == question_a.hash_key
    assert second.parent == first.hash_key
    assert run.status is RunStatus.DONE


async def test_a_reply_that_cannot_be_written_makes_the_run_an_error_and_stays_reachable(
    tmp_path: Path,
) -> None:
    db = tmp_path / "refuse.db"

    @agent
    async def answer(ctx: InteractionContext) -> None:
        ctx.reply("the answer")

    async with SQLiteStore(db) as store, Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        # Another writer's database now refuses every move of main (as a full disk would
        # refuse the write): the run's reply cannot go there.
        other = sqlite3.connect(db)
        other.execute(
            "CREATE TRIGGER refuse_main BEFORE UPDATE ON refs WHEN NEW.name = 'main' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        other.commit()
        other.close()
        replies = session.inquire(answer, "main")
        assert [str(m) for m in await replies] == ["the answer"]
        run = await replies.recorded()
        stored = await session.get_run(run.id)
        for record in (run, stored):
            assert record.status is RunStatus.ERROR
            assert record.error is not None
            assert "could not be recorded" in record.error
            assert "database or disk is full" in record.error
            assert "recovered-1" in record.error
        assert replies.moved_to == "recovered-1"
        assert await _texts(session, "recovered-1") == [(USER, "q"), ("ANSWER", "the answer")]
        kept = await session.head("recovered-1")
        assert kept is not None
        assert stored.output_nodes == [kept.hash_key]
        assert await _texts(session, "main") == [(USER, "q")]


async def test_a_rerun_with_the_same_reply_says_so_and_makes_no_branch(store: Store) -> None:
    @agent
    async def fixed(ctx: InteractionContext) -> None:
        ctx.reply("always this")

    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(fixed, "main")
        reply = await session.head("main")
        assert reply is not None
        rerun = session.rerun(reply)
        assert [str(m) for m in await rerun] == ["always this"]
        run = await rerun.recorded()
    assert rerun.same_as_before
    assert rerun.branch == ""
    assert [ref.name for ref in await session.branches()] == ["main"]
    assert run.output_nodes == [reply.hash_key]
    assert run.status is RunStatus.DONE


async def test_the_demo_model_gives_a_rerun_a_sibling_on_a_new_branch(store: Store) -> None:
    quick_demo = demo_agent.fork(tokens_per_second=0)
    async with Ramify():
        session = await Session.create(store)
        question = await session.append(UserMessage(text="tell me about rerun"), branch="main")
        first = [str(m) for m in await session.inquire(quick_demo, "main")]
        reply = await session.head("main")
        assert reply is not None
        second = session.rerun(reply)
        second_texts = [str(m) for m in await second]
        third = session.rerun(reply)
        third_texts = [str(m) for m in await third]
    assert len({first[0], second_texts[0], third_texts[0]}) == 3
    assert "Take 2." in second_texts[0]
    assert (second.branch, third.branch) == ("rerun-1", "rerun-2")
    assert not second.same_as_before
    siblings = await session.children(question)
    assert len(siblings) == 3
    assert await _texts(session, "rerun-1") == [
        (USER, "tell me about rerun"),
        ("DEMO_AGENT", second_texts[0]),
    ]


async def test_a_named_rerun_lands_on_that_name_only_when_its_reply_differs(
    store: Store,
) -> None:
    @agent
    async def varying(ctx: InteractionContext) -> None:
        ctx.reply("always this" if ctx.attempt < 2 else f"take {ctx.attempt}")

    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(varying, "main")
        reply = await session.head("main")
        assert reply is not None
        same = session.rerun(reply, branch="my-take")
        await same
        different = session.rerun(reply, branch="my-take")
        await different
    assert same.same_as_before
    assert same.branch == ""
    assert different.branch == "my-take"
    assert await _texts(session, "my-take") == [(USER, "q"), ("VARYING", "take 2")]
    assert await _texts(session, "main") == [(USER, "q"), ("VARYING", "always this")]


async def test_a_rerun_whose_name_is_taken_lands_on_a_numbered_variant_of_that_name(
    store: Store,
) -> None:
    @agent
    async def varying(ctx: InteractionContext) -> None:
        ctx.reply(f"take {ctx.attempt}")

    async with Ramify():
        session = await Session.create(store)
        question = await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(varying, "main")
        reply = await session.head("main")
        assert reply is not None
        await session.fork(question, "taken")
        await session.append(UserMessage(text="elsewhere"), branch="taken")
        rerun = session.rerun(reply, branch="taken")
        await rerun
    assert rerun.branch == "taken-1"
    assert await _texts(session, "taken-1") == [(USER, "q"), ("VARYING", "take 1")]
    assert await _texts(session, "taken") == [(USER, "q"), (USER, "elsewhere")]


def _team() -> tuple[Agent, dict[str, int]]:
    calls = {"TEAM": 0, "ALPHA": 0, "BETA": 0}

    def expert(alias: str) -> Agent:
        @agent(alias=alias)
        async def answer(ctx: InteractionContext) -> None:
            calls[alias] += 1
            history = await ctx.message_promises
            take = f" (take {ctx.attempt})" if ctx.attempt else ""
            ctx.reply(f"{alias} on {history[-1].text}{take}")

        return answer

    alpha, beta = expert("ALPHA"), expert("BETA")

    @agent
    async def team(ctx: InteractionContext) -> None:
        calls["TEAM"] += 1
        history = await ctx.message_promises
        brief = UserMessage(text=f"brief: {history[-1].text}")
        ctx.reply([alpha.inquire([*history, brief]), beta.inquire([*history, brief])])

    return team, calls


async def test_rerunning_one_experts_reply_reruns_that_expert_alone(store: Store) -> None:
    team, calls = _team()
    async with Ramify():
        session = await Session.create(store)
        question = await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(team, "main")
        alpha_reply, beta_reply = [node for node, _ in (await session.path_messages("main"))[1:]]
        rerun = session.rerun(beta_reply)
        assert [str(m) for m in await rerun] == ["BETA on brief: q (take 1)"]
        run = await rerun.recorded()
    assert calls == {"TEAM": 1, "ALPHA": 1, "BETA": 2}
    assert run.agent == "BETA"
    # BETA's own input (the history and the brief), and its reply beside the original one.
    given = await store.get_messages(run.input_messages)
    assert [given[key].text for key in run.input_messages] == ["q", "brief: q"]
    assert await _texts(session, rerun.branch) == [
        (USER, "q"),
        ("ALPHA", "ALPHA on brief: q"),
        ("BETA", "BETA on brief: q (take 1)"),
    ]
    assert [node.sender for node in await session.children(alpha_reply)] == ["BETA", "BETA"]
    assert beta_reply.parent == alpha_reply.hash_key
    assert question.hash_key == alpha_reply.parent


async def test_rerunning_with_caller_reruns_the_whole_team(store: Store) -> None:
    team, calls = _team()
    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        await session.inquire(team, "main")
        beta_reply = await session.head("main")
        assert beta_reply is not None
        rerun = session.rerun(beta_reply, caller=True)
        texts = [str(m) for m in await rerun]
    assert calls == {"TEAM": 2, "ALPHA": 2, "BETA": 2}
    assert texts == ["ALPHA on brief: q (take 1)", "BETA on brief: q (take 1)"]
    assert (await rerun.recorded()).agent == "TEAM"
