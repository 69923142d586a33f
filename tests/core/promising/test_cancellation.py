"""Cancellation: the producing tree stops, `finally` blocks run, partials survive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ramify.core.messages import Message
from ramify.core.promising import (
    MessagePromise,
    MessageSequencePromise,
    PromisingContext,
    ReplyChannel,
    TokenAppender,
)

# Cancellation must complete within 200 ms; the events below are awaited with that bound.
CANCEL_BOUND = 0.2


async def test_cancel_sequence_cancels_the_tree_runs_finally_and_keeps_partial() -> None:
    agent_finally = asyncio.Event()
    nested_finally = asyncio.Event()
    tokens_finally = asyncio.Event()
    two_tokens_out = asyncio.Event()
    forever = asyncio.Event()

    async def nested(channel: ReplyChannel) -> None:
        try:
            await forever.wait()
        finally:
            nested_finally.set()

    async def token_source() -> AsyncIterator[str]:
        try:
            yield "side "
            await forever.wait()
        finally:
            tokens_finally.set()

    async def agent(channel: ReplyChannel) -> None:
        try:
            channel.reply_out_of_order(MessageSequencePromise(nested))
            channel.reply_out_of_order(MessagePromise(token_source()))
            with TokenAppender(agent_alias="AGENT") as appender:
                channel.reply(appender.promise)
                appender.append("Hello ")
                appender.append("wor")
                two_tokens_out.set()
                await forever.wait()
        finally:
            agent_finally.set()

    async with PromisingContext(shutdown_timeout=1):
        sequence = MessageSequencePromise(agent, name="AGENT")
        await asyncio.wait_for(two_tokens_out.wait(), timeout=5)
        first = sequence.delivered()[-1]
        assert sequence.cancel()
        async with asyncio.timeout(CANCEL_BOUND):
            await agent_finally.wait()
            await nested_finally.wait()
            await tokens_finally.wait()
        assert sequence.cancelled()
        assert first.cancelled()
        partial = first.partial()
        assert str(partial) == "Hello wor"
        assert type(partial) is Message
        assert partial.model_extra == {"cancelled": True, "agent_alias": "AGENT"}
        with pytest.raises(asyncio.CancelledError):
            await first
        iterator = first.__aiter__()
        assert await iterator.__anext__() == "Hello wor"
        with pytest.raises(asyncio.CancelledError):
            await iterator.__anext__()
        with pytest.raises(asyncio.CancelledError):
            await sequence


async def test_cancel_message_promise_stops_its_token_source() -> None:
    finally_ran = asyncio.Event()
    first_token = asyncio.Event()

    async def tokens() -> AsyncIterator[str]:
        try:
            yield "a"
            first_token.set()
            await asyncio.Event().wait()
        finally:
            finally_ran.set()

    promise = MessagePromise(tokens())
    await asyncio.wait_for(first_token.wait(), timeout=5)
    promise.cancel()
    await asyncio.wait_for(finally_ran.wait(), timeout=CANCEL_BOUND)
    assert promise.text_so_far() == "a"
    assert promise.partial().text == "a"


async def test_cancelling_one_consumer_leaves_the_stream_to_the_others() -> None:
    appender = TokenAppender()
    promise = appender.promise
    first_seen = asyncio.Event()

    async def consume(signal: asyncio.Event | None) -> list[str]:
        seen: list[str] = []
        async for token in promise:
            seen.append(token)
            if signal is not None:
                signal.set()
        return seen

    doomed = asyncio.ensure_future(consume(first_seen))
    survivor = asyncio.ensure_future(consume(None))
    with appender:
        appender.append("1")
        await asyncio.wait_for(first_seen.wait(), timeout=5)
        await asyncio.sleep(0)
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        appender.append("2")
        appender.append("3")
    assert await asyncio.wait_for(survivor, timeout=5) == ["1", "2", "3"]
    assert not promise.cancelled()
    assert str(await promise) == "123"


async def test_cancelling_a_consumer_task_does_not_cancel_the_producer() -> None:
    release = asyncio.Event()
    produced = asyncio.Event()

    async def agent(channel: ReplyChannel) -> None:
        await release.wait()
        channel.reply("still here")
        produced.set()

    sequence = MessageSequencePromise(agent)
    consumer = asyncio.ensure_future(sequence)
    await asyncio.sleep(0)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    release.set()
    await asyncio.wait_for(produced.wait(), timeout=5)
    assert [str(message) for message in await sequence] == ["still here"]
