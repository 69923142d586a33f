"""MessagePromise: str tokens, metadata beforehand, compact text, chunks, token-level errors."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ramify.core.messages import AssistantMessage, ErrorMessage, Message
from ramify.core.promising import (
    AppenderClosedError,
    AppenderNotOpenError,
    MessagePromise,
    PromisingContext,
    TokenAppender,
)


async def test_tokens_are_plain_str_and_str_matches_awaited_message() -> None:
    async def tokens() -> AsyncIterator[str]:
        for token in ["Hel", "lo", " world"]:
            yield token

    promise = MessagePromise(tokens(), message_class=AssistantMessage, model="m1")
    streamed = [token async for token in promise]
    assert all(type(token) is str for token in streamed)
    message = await promise
    assert isinstance(message, AssistantMessage)
    assert str(message) == "".join(streamed) == "Hello world"
    assert message.model == "m1"


async def test_metadata_is_readable_before_the_first_token() -> None:
    appender = TokenAppender(
        message_class=AssistantMessage, role="assistant", agent_alias="BOT", model="m"
    )
    promise = appender.promise
    assert promise.message_class is AssistantMessage
    assert promise.known_beforehand["agent_alias"] == "BOT"
    assert promise.get("model") == "m"
    assert not promise.done()
    with appender:
        appender.append("x")
    assert (await promise).agent_alias == "BOT"


async def test_whole_message_streams_as_a_single_token() -> None:
    message = Message("one whole text", role="user")
    promise = MessagePromise.from_message(message)
    assert [token async for token in promise] == ["one whole text"]
    assert await promise is message
    assert promise.known_beforehand["role"] == "user"


async def test_fields_discovered_while_streaming_reach_the_message() -> None:
    async def stream(fields: dict[str, Any]) -> AsyncIterator[str]:
        yield "hi"
        fields["finish_reason"] = "stop"
        fields["output_tokens"] = 1

    promise = MessagePromise(stream, message_class=AssistantMessage)
    message = await promise
    assert message.finish_reason == "stop"
    assert message.output_tokens == 1
    appender = TokenAppender()
    with appender:
        appender.append("a")
        appender.add_fields(usage={"total": 3})
    assert (await appender.promise).model_extra == {"usage": {"total": 3}}


async def test_late_consumer_of_a_resolved_message_gets_the_text_as_one_token() -> None:
    appender = TokenAppender()
    early = appender.promise.__aiter__()
    with appender:
        for token in ["a", "b", "c"]:
            appender.append(token)
    assert [token async for token in appender.promise] == ["abc"]
    assert [token async for token in early] == ["a", "b", "c"]


async def test_chunks_coalesce_everything_pending() -> None:
    appender = TokenAppender()
    chunks = appender.promise.chunks()
    with appender:
        appender.append("a")
        appender.append("b")
        assert await chunks.__anext__() == "ab"
        appender.append("c")
        appender.append("d")
        appender.append("e")
        assert await chunks.__anext__() == "cde"
    with pytest.raises(StopAsyncIteration):
        await chunks.__anext__()


async def test_appender_misuse_raises_specific_errors() -> None:
    appender = TokenAppender()
    with pytest.raises(AppenderNotOpenError):
        appender.append("x")
    with appender, pytest.raises(TypeError):
        appender.append(3)  # type: ignore[arg-type]
    with pytest.raises(AppenderClosedError):
        appender.append("x")


async def test_token_level_error_keeps_position_and_same_instance() -> None:
    async def tokens() -> AsyncIterator[str]:
        yield "par"
        yield "tial"
        raise RuntimeError("mid-message")

    promise = MessagePromise(tokens(), errors_as_messages=False)
    iterator = promise.__aiter__()
    assert [await iterator.__anext__(), await iterator.__anext__()] == ["par", "tial"]
    with pytest.raises(RuntimeError) as info:
        await iterator.__anext__()
    with pytest.raises(RuntimeError) as whole:
        await promise
    assert whole.value is info.value
    assert promise.text_so_far() == "partial"


async def test_token_level_error_as_message_keeps_partial_text() -> None:
    async def tokens() -> AsyncIterator[str]:
        yield "half "
        raise ValueError("lost connection")

    promise = MessagePromise(tokens(), errors_as_messages=True, agent_alias="BOT")
    assert [token async for token in promise] == ["half "]
    message = await promise
    assert isinstance(message, ErrorMessage)
    assert message.partial_text == "half "
    assert str(message) == "ValueError: lost connection"


async def test_resolved_hook_sees_each_message_once() -> None:
    resolved: list[Message] = []
    async with PromisingContext() as context:
        context.on_message_resolved.append(lambda promise, message: resolved.append(message))
        appender = TokenAppender()
        with appender:
            appender.append("x")
        message = await appender.promise
        await appender.promise
    assert resolved == [message]


@pytest.mark.timeout(60)
async def test_long_stream_memory_stays_far_below_miniagents() -> None:
    token_count = 200_000
    gc.collect()
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        async with PromisingContext():
            appender = TokenAppender(role="assistant")
            consumer_seen = 0

            async def consume() -> None:
                nonlocal consumer_seen
                async for _ in appender.promise:
                    consumer_seen += 1

            consumer = asyncio.ensure_future(consume())
            with appender:
                for index in range(token_count):
                    # Distinct strings, as a real model would send.
                    appender.append(f"tok{index} ")
                    if index % 1000 == 0:
                        await asyncio.sleep(0)
            await consumer
            message = await appender.promise
            _, peak = tracemalloc.get_traced_memory()
            after_resolution, _ = tracemalloc.get_traced_memory()
            del consumer
    finally:
        tracemalloc.stop()
    assert consumer_seen == token_count
    assert len(str(message)) > token_count
    assert peak - baseline < 40 * 1024 * 1024
    # Once resolved only the text (about 2 MB here) is kept, not the 200k pieces.
    assert after_resolution - baseline < 8 * 1024 * 1024
