"""MessageSequencePromise: flattening order, out-of-order lane, errors at their position."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ramify.core.messages import ErrorMessage, Message
from ramify.core.promising import (
    MessagePromise,
    MessageSequencePromise,
    PromisingContext,
    ReplyChannel,
    TokenAppender,
)


async def read_all(sequence: MessageSequencePromise) -> list[Any]:
    """Texts, and exceptions in place, reading past every error."""
    seen: list[Any] = []
    iterator = sequence.__aiter__()
    while True:
        try:
            promise = await iterator.__anext__()
        except StopAsyncIteration:
            return seen
        except Exception as error:
            seen.append(error)
            continue
        seen.append(str(await promise))


def streamed(*tokens: str) -> MessagePromise:
    async def source() -> AsyncIterator[str]:
        for token in tokens:
            await asyncio.sleep(0)
            yield token

    return MessagePromise(source())


async def test_deeply_nested_mix_flattens_in_order_message_and_token_wise() -> None:
    async def agen() -> AsyncIterator[Any]:
        yield "g1"
        await asyncio.sleep(0)
        yield ["g2", MessageSequencePromise.of([streamed("g", "3")])]

    def sync_gen() -> Iterator[Any]:
        yield {"text": "s1"}
        yield (Message("s2"),)

    inner = MessageSequencePromise.of(["i1", [streamed("i", "2"), ["i3"]], agen()])
    reply = ["a", [streamed("b", "1", "b2"), inner], sync_gen(), MessageSequencePromise.of([])]
    sequence = MessageSequencePromise.of([reply, "z"])
    expected = ["a", "b1b2", "i1", "i2", "i3", "g1", "g2", "g3", "s1", "s2", "z"]
    assert await read_all(sequence) == expected
    tokens = [[token async for token in promise] async for promise in sequence]
    assert ["".join(message_tokens) for message_tokens in tokens] == expected
    assert [str(message) for message in await sequence] == expected
    single = await sequence.as_single_promise()
    assert str(single) == "\n\n".join(expected)


async def test_token_order_is_kept_through_nesting_levels() -> None:
    appender = TokenAppender()
    level = MessageSequencePromise.of(appender.promise)
    for _ in range(5):
        level = MessageSequencePromise.of(level)
    tokens: list[str] = []

    async def consume() -> None:
        async for promise in level:
            async for token in promise:
                tokens.append(token)

    consumer = asyncio.ensure_future(consume())
    with appender:
        for index in range(50):
            appender.append(str(index))
            await asyncio.sleep(0)
    await consumer
    assert tokens == [str(index) for index in range(50)]


async def test_message_promise_is_delivered_before_its_tokens_end() -> None:
    delivered = asyncio.Event()

    async def tokens() -> AsyncIterator[str]:
        yield "first"
        # The rest of the message waits for its delivery: a sequence that delivered a
        # message only once its tokens ended would never deliver this one.
        await delivered.wait()
        yield " second"

    async def body(channel: ReplyChannel) -> None:
        channel.reply(MessageSequencePromise.of(MessagePromise(tokens())))

    sequence = MessageSequencePromise(body)
    promise = await asyncio.wait_for(sequence.__aiter__().__anext__(), timeout=5)
    assert not promise.done()
    delivered.set()
    assert str(await promise) == "first second"


async def test_out_of_order_items_overtake_pending_ordered_items() -> None:
    release = asyncio.Event()

    async def slow(channel: ReplyChannel) -> None:
        await release.wait()
        channel.reply("slow")

    async def body(channel: ReplyChannel) -> None:
        channel.reply("first")
        channel.reply(MessageSequencePromise(slow))
        channel.reply("third")
        channel.reply_out_of_order("oo")
        channel.reply_out_of_order(MessageSequencePromise.of(["oo2"]))

    sequence = MessageSequencePromise(body)
    iterator = sequence.__aiter__()
    firsts = [str(await (await iterator.__anext__())) for _ in range(3)]
    release.set()
    assert firsts == ["first", "oo", "oo2"]
    assert await read_all(sequence) == ["first", "oo", "oo2", "slow", "third"]


async def test_error_surfaces_at_its_exact_position_for_every_consumer() -> None:
    async def body(channel: ReplyChannel) -> None:
        channel.reply(["one", "two"])
        await asyncio.sleep(0)
        raise ValueError("boom")

    sequence = MessageSequencePromise(body, errors_as_messages=False)
    first = await read_all(sequence)
    second = await read_all(sequence)
    assert first[:2] == second[:2] == ["one", "two"]
    assert isinstance(first[2], ValueError)
    assert first[2] is second[2]
    assert len(first) == 3
    with pytest.raises(ValueError, match="boom") as info:
        await sequence
    assert info.value is first[2]


async def test_items_after_an_error_in_the_same_reply_list_are_not_lost() -> None:
    async def failing(channel: ReplyChannel) -> None:
        channel.reply("R-1")
        raise RuntimeError("nested failure")

    async def body(channel: ReplyChannel) -> None:
        channel.reply(["n-1", MessageSequencePromise(failing), "n-2"])
        channel.reply("n-3")

    seen = await read_all(MessageSequencePromise(body, errors_as_messages=False))
    assert seen[:2] == ["n-1", "R-1"]
    assert isinstance(seen[2], RuntimeError)
    assert seen[3:] == ["n-2", "n-3"]


async def test_out_of_order_items_sent_before_an_error_are_not_lost() -> None:
    async def failing(channel: ReplyChannel) -> None:
        channel.reply_out_of_order("OO-1")
        channel.reply_out_of_order(MessageSequencePromise.of(["OO-2"]))
        raise RuntimeError("after out-of-order")

    async def outer(channel: ReplyChannel) -> None:
        channel.reply(MessageSequencePromise(failing))
        channel.reply("tail")

    seen = await read_all(MessageSequencePromise(outer, errors_as_messages=False))
    texts = [item for item in seen if isinstance(item, str)]
    # Out-of-order items may land before or after the error, but none is lost.
    assert sorted(texts[:2]) == ["OO-1", "OO-2"]
    assert texts[-1] == "tail"
    assert sum(isinstance(item, RuntimeError) for item in seen) == 1
    assert len(seen) == 4


async def test_errors_as_messages_turn_a_failure_into_an_error_message_in_place() -> None:
    async def failing(channel: ReplyChannel) -> None:
        channel.reply("R-1")
        raise ValueError("bad")

    async def body(channel: ReplyChannel) -> None:
        channel.reply(["n-1", MessageSequencePromise(failing), "n-2"])

    messages = await MessageSequencePromise(body, errors_as_messages=True)
    assert [str(message) for message in messages] == ["n-1", "R-1", "ValueError: bad", "n-2"]
    assert isinstance(messages[2], ErrorMessage)
    assert messages[2].error_type == "ValueError"


async def test_await_gives_every_awaiter_the_same_tuple() -> None:
    sequence = MessageSequencePromise.of(["a", streamed("b", "c")])
    first, second = await asyncio.gather(sequence, sequence)
    assert first is second
    assert [str(message) for message in first] == ["a", "bc"]


async def test_delivered_hook_observes_each_promise_as_it_is_delivered() -> None:
    delivered: list[tuple[str, MessagePromise]] = []
    async with PromisingContext() as context:
        context.on_message_delivered.append(
            lambda sequence, promise: delivered.append((sequence.name, promise))
        )
        sequence = MessageSequencePromise.of(["x", "y"], name="AGENT")
        promises = [promise async for promise in sequence]
    assert delivered == [("AGENT", promises[0]), ("AGENT", promises[1])]


async def test_a_run_of_promises_is_delivered_in_order_between_its_neighbours() -> None:
    # A list/tuple of promises (an agent's history) is delivered in one step; it must keep
    # its place among other replies, and hooks still see every promise.
    delivered: list[MessagePromise] = []
    history = tuple(MessagePromise.from_message(Message(text=f"h{i}")) for i in range(50))
    async with PromisingContext() as context:
        context.on_message_delivered.append(lambda sequence, promise: delivered.append(promise))
        sequence, channel = MessageSequencePromise.with_channel(name="AGENT")
        channel.reply("before")
        channel.reply(history)
        channel.reply(list(history[:2]))
        channel.reply(())
        channel.reply("after")
        channel.close()
        promises = [promise async for promise in sequence]
    texts = [str(await promise) for promise in promises]
    assert texts == ["before", *(f"h{i}" for i in range(50)), "h0", "h1", "after"]
    assert delivered == promises
    assert promises[1:51] == list(history)


async def test_a_run_of_promises_waits_behind_a_pending_reply() -> None:
    gate = asyncio.Event()

    async def slow() -> AsyncIterator[str]:
        await gate.wait()
        yield "slow"

    history = (MessagePromise.from_message(Message(text="h")),)
    async with PromisingContext():
        sequence, channel = MessageSequencePromise.with_channel()
        channel.reply(slow())
        channel.reply(history)
        channel.close()
        reader = asyncio.ensure_future(read_all(sequence))
        await asyncio.sleep(0)
        assert not reader.done()
        gate.set()
        assert await asyncio.wait_for(reader, 5) == ["slow", "h"]


async def test_lazy_sequence_starts_when_consumed_and_does_not_deadlock_nesting() -> None:
    started = asyncio.Event()

    async def inner_body(channel: ReplyChannel) -> None:
        started.set()
        channel.reply(["i1", streamed("i", "2")])

    async def outer_body(channel: ReplyChannel) -> None:
        channel.reply(MessageSequencePromise(inner_body, start_asap=False))
        channel.reply_out_of_order(MessageSequencePromise.of("oo", start_asap=False))

    async with PromisingContext(start_asap=False):
        sequence = MessageSequencePromise(outer_body)
        for _ in range(5):
            await asyncio.sleep(0)
        assert not started.is_set()
        messages = await asyncio.wait_for(sequence, timeout=5)
    assert sorted(str(message) for message in messages) == ["i1", "i2", "oo"]


async def test_manual_channel_close_and_fail() -> None:
    sequence, channel = MessageSequencePromise.with_channel(name="MANUAL")
    channel.reply("kept")
    channel.fail(LookupError("manual"))
    seen = await read_all(sequence)
    assert seen[0] == "kept"
    assert isinstance(seen[1], LookupError)
    assert channel.closed


async def test_error_inside_an_async_iterable_reply_surfaces_at_its_position() -> None:
    async def failing() -> AsyncIterator[str]:
        yield "g-1"
        raise LookupError("inside the generator")

    async def body(channel: ReplyChannel) -> None:
        channel.reply(["before", failing(), "after"])

    seen = await read_all(MessageSequencePromise(body, errors_as_messages=False))
    assert seen[:2] == ["before", "g-1"]
    assert isinstance(seen[2], LookupError)
    assert str(seen[2]) == "inside the generator"
    assert seen[3:] == ["after"]
