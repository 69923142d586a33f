"""Token timings: recorded per reply by `Session.inquire`, stored with the run, replayed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import (
    AssistantMessage,
    InteractionContext,
    MessagePromise,
    Ramify,
    Run,
    Session,
    SQLiteStore,
    Store,
    UserMessage,
    agent,
)
from ramify.core.runs import decode_timings, encode_timings
from ramify.core.sessionfile import DEFAULT_PACE, replay_chunks, replay_stream

TOKENS = ["Once", " upon", " a", " time", ",", " in", " a", " café", " 🍵", "."]
GAP = 0.03


@agent
async def storyteller(ctx: InteractionContext) -> None:
    """Streams TOKENS, pausing GAP seconds between them."""
    await ctx.message_promises

    async def tokens() -> AsyncIterator[str]:
        for index, token in enumerate(TOKENS):
            if index:
                await asyncio.sleep(GAP)
            yield token

    ctx.reply(MessagePromise(tokens(), message_class=AssistantMessage, model="m"))
    ctx.reply("and a second message, whole")


def test_timings_encode_compactly_and_decode_back() -> None:
    steps = [(4, 0), (5, 31), (1, 1200)]
    assert encode_timings(steps) == "4:0,5:31,1:1200"
    assert decode_timings("4:0,5:31,1:1200") == steps
    assert decode_timings("") == []
    for bad in ("4", "4:", ":3", "a:1", "4:1,", "-1:3", "4:1:2", "٣:1", "1" * 13 + ":1"):
        with pytest.raises(ValueError, match="timing step"):
            decode_timings(bad)


def test_replay_cuts_the_text_as_it_streamed_scaled_by_pace() -> None:
    assert replay_chunks("Hello world", "5:0,6:250") == [(0.0, "Hello"), (0.25, " world")]
    assert replay_chunks("Hello world", "5:0,6:250", pace=2.0) == [
        (0.0, "Hello"),
        (0.125, " world"),
    ]
    assert replay_chunks("Hello world", "5:0,6:5000", max_delay=1.0)[1] == (1.0, " world")


def test_replay_without_timings_uses_a_steady_default_pace() -> None:
    chars, ms = DEFAULT_PACE
    chunks = replay_chunks("abcdefghij", None)
    assert [chunk for _, chunk in chunks] == ["abcd", "efgh", "ij"]
    assert {delay for delay, _ in chunks} == {ms / 1000}
    assert chars == 4
    assert replay_chunks("", None) == []


def test_replay_covers_the_text_even_when_timings_do_not_fit_it() -> None:
    assert "".join(chunk for _, chunk in replay_chunks("abcdefgh", "2:10")) == "abcdefgh"
    assert replay_chunks("abc", "2:10,5:10,9:10") == [(0.01, "ab"), (0.01, "c")]
    with pytest.raises(ValueError, match="pace"):
        replay_chunks("abc", None, pace=0)
    with pytest.raises(ValueError, match="timing step"):
        replay_chunks("abc", "garbage")


async def test_replay_stream_yields_the_chunks_after_their_delays() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    chunks = [chunk async for chunk in replay_stream("abcdef", "3:0,3:50")]
    assert chunks == ["abc", "def"]
    assert loop.time() - started >= 0.05


async def test_inquire_records_timings_that_replay_to_the_same_text(tmp_path: Path) -> None:
    seen: list[str] = []
    async with SQLiteStore(tmp_path / "t.db") as store, Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="tell me a story"))
        replies = session.inquire(storyteller)
        async for promise in replies:
            seen.extend([token async for token in promise])
        run = await replies.recorded()
    assert seen == [*TOKENS, "and a second message, whole"]  # consumers see every token
    async with SQLiteStore(tmp_path / "t.db") as reopened:
        stored = await reopened.get_run(run.id)
        story, whole = [await reopened.get_node(key) for key in stored.output_nodes]
        text = (await reopened.get_message(story.message)).text
    assert stored.timings == run.timings
    assert set(stored.timings) == {story.hash_key, whole.hash_key}
    steps = decode_timings(stored.timings[story.hash_key])
    assert sum(chars for chars, _ in steps) == len(text) == len("".join(TOKENS))
    chunks = replay_chunks(text, stored.timings[story.hash_key])
    assert "".join(chunk for _, chunk in chunks) == text
    # asyncio.sleep never wakes early, so the recorded gaps add up to at least the pauses.
    assert sum(ms for _, ms in steps) >= (len(TOKENS) - 1) * GAP * 1000 * 0.9
    assert len(steps) > 1
    assert decode_timings(stored.timings[whole.hash_key]) == [
        (len("and a second message, whole"), 0)
    ]


async def test_failed_replies_record_no_timings_and_cancelled_ones_keep_theirs(
    store: Store,
) -> None:
    halfway = asyncio.Event()

    @agent
    async def failing(ctx: InteractionContext) -> None:
        async def tokens() -> AsyncIterator[str]:
            yield "partial"
            raise RuntimeError("boom")

        ctx.reply(MessagePromise(tokens()))

    @agent
    async def stalling(ctx: InteractionContext) -> None:
        async def tokens() -> AsyncIterator[str]:
            yield "so far"
            halfway.set()
            await asyncio.Event().wait()
            yield "never"

        ctx.reply(MessagePromise(tokens()))

    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"))
        failed = session.inquire(failing)
        with pytest.raises(RuntimeError, match="boom"):
            await failed
        failed_run = await failed.recorded()
        await session.fork((await session.path("main"))[0], "other")
        stalled = session.inquire(stalling, "other")
        await halfway.wait()
        stalled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stalled
        stalled_run = await stalled.recorded()
    assert failed_run.output_nodes
    assert failed_run.timings == {}
    (cancelled,) = stalled_run.output_nodes
    assert decode_timings(stalled_run.timings[cancelled])[0][0] == len("so far")


async def test_runs_keep_timings_through_the_sqlite_store(store: Store) -> None:
    run = Run(agent="A", timings={"a" * 64: "3:0,4:16"})
    await store.put_run(run)
    assert (await store.get_run(run.id)).timings == {"a" * 64: "3:0,4:16"}
    assert Run(agent="B").timings == {}
