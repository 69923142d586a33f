"""Streaming through the real OpenAI and Anthropic SDKs against the loopback fake."""

from __future__ import annotations

import asyncio

import pytest

from ramify.core import AssistantMessage, ErrorMessage, Message, SystemMessage, UserMessage
from ramify.core.llm import stream_anthropic, stream_openai
from ramify.core.llm.roles import PLACEHOLDER_USER_TURN
from ramify.core.testing import FakeProvider, Reply

from .conftest import ANTHROPIC_KEY, OPENAI_KEY

pytestmark = pytest.mark.timeout(20)


async def test_openai_streams_tokens_and_records_usage(fake: FakeProvider) -> None:
    fake.enqueue(Reply("Hi there friend", input_tokens=11, output_tokens=3))
    stream = stream_openai([UserMessage("hello")], model="gpt-test", base_url=fake.openai_base_url)
    assert stream.result.model == "gpt-test"
    tokens = [token async for token in stream]
    assert tokens == ["Hi ", "there ", "friend"]
    result = stream.result
    assert (result.text, result.input_tokens, result.output_tokens) == ("Hi there friend", 11, 3)
    assert (result.finish_reason, result.done, result.cancelled) == ("stop", True, False)
    request = fake.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.json["stream"] is True
    assert request.json["stream_options"] == {"include_usage": True}


async def test_anthropic_streams_tokens_and_records_usage(fake: FakeProvider) -> None:
    fake.enqueue(Reply("Bonjour mon ami", input_tokens=7, finish_reason="max_tokens"))
    stream = stream_anthropic(
        [UserMessage("hello")], model="claude-test", base_url=fake.anthropic_base_url
    )
    assert await stream.collect() == "Bonjour mon ami"
    result = stream.result
    assert (result.input_tokens, result.output_tokens, result.finish_reason) == (7, 3, "max_tokens")
    assert result.model == "claude-test"
    request = fake.requests[0]
    assert request.path == "/v1/messages"
    assert ANTHROPIC_KEY in (
        request.headers.get("x-api-key", "") + request.headers.get("authorization", "")
    )


async def test_openai_compatible_endpoint_needs_no_key(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    stream = stream_openai(
        [Message("hi")],
        model="llama3",
        base_url=fake.openai_base_url,
        api_key_env=None,
        provider="ollama",
    )
    assert await stream.collect() == "Hello there, friend!"
    assert fake.requests[0].json["model"] == "llama3"


async def test_openai_request_puts_system_first_and_passes_params(fake: FakeProvider) -> None:
    messages = [
        UserMessage("one"),
        AssistantMessage("two"),
        Message("three"),
        ErrorMessage(text="boom", error_type="RuntimeError"),
    ]
    stream = stream_openai(
        messages,
        model="gpt-test",
        base_url=fake.openai_base_url,
        system="Be brief.",
        temperature=0.3,
        max_tokens=50,
        top_p=0.9,
        default_role="assistant",
    )
    await stream.collect()
    body = fake.requests[0].json
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "assistant", "content": "three"},
    ]
    assert (body["temperature"], body["max_tokens"], body["top_p"]) == (0.3, 50, 0.9)


async def test_anthropic_request_maps_system_merges_turns_and_starts_with_user(
    fake: FakeProvider,
) -> None:
    messages = [
        SystemMessage("Rule two."),
        AssistantMessage("Earlier answer."),
        UserMessage("a"),
        Message("b"),
        AssistantMessage("c"),
        AssistantMessage("d"),
    ]
    stream = stream_anthropic(
        messages,
        model="claude-test",
        base_url=fake.anthropic_base_url,
        system="Rule one.",
        temperature=0.5,
        max_tokens=64,
        top_k=5,
    )
    await stream.collect()
    body = fake.requests[0].json
    assert body["system"] == "Rule one.\n\nRule two."
    assert body["messages"] == [
        {"role": "user", "content": PLACEHOLDER_USER_TURN},
        {"role": "assistant", "content": "Earlier answer."},
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "c\n\nd"},
    ]
    assert (body["temperature"], body["max_tokens"], body["top_k"]) == (0.5, 64, 5)


async def test_anthropic_sends_default_max_tokens_and_no_system_when_none(
    fake: FakeProvider,
) -> None:
    await stream_anthropic([UserMessage("hi")], model="c", base_url=fake.base_url).collect()
    body = fake.requests[0].json
    assert "system" not in body
    assert body["max_tokens"] == 4096


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_cancelling_the_consumer_closes_the_stream_and_keeps_partial_text(
    fake: FakeProvider, provider: str
) -> None:
    fake.enqueue(Reply("one two three four five", stall_after=3))
    if provider == "openai":
        stream = stream_openai([UserMessage("hi")], model="m", base_url=fake.openai_base_url)
    else:
        stream = stream_anthropic([UserMessage("hi")], model="m", base_url=fake.base_url)
    three_tokens = asyncio.Event()

    async def consume() -> None:
        async for _ in stream:
            if len(stream.result.text.split()) == 3:
                three_tokens.set()

    task = asyncio.create_task(consume())
    await three_tokens.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(10):
        await fake.wait_for_disconnects(1)
    assert stream.result.text == "one two three "
    assert stream.result.cancelled
    assert not stream.result.done


async def test_leaving_the_stream_early_closes_the_connection(fake: FakeProvider) -> None:
    fake.enqueue(Reply("a b c d", stall_after=1))
    async with stream_openai([UserMessage("x")], model="m", base_url=fake.openai_base_url) as s:
        async for _ in s:
            break
    async with asyncio.timeout(10):
        await fake.wait_for_disconnects(1)
    assert s.result.text == "a "
    assert s.result.cancelled
