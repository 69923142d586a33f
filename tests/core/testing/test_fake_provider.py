"""The loopback fake provider speaks what the real SDKs expect, and records requests."""

from __future__ import annotations

import asyncio

import anthropic
import openai
import pytest

from ramify.core.testing import FakeProvider, RecordedRequest, Reply, fake_provider

pytestmark = pytest.mark.timeout(30)

CHAT = [{"role": "user", "content": "hi"}]


async def test_openai_chat_stream_helper_and_plain_reply() -> None:
    async with fake_provider("one two three") as fake:
        client = openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="k")
        async with client.chat.completions.stream(model="m", messages=CHAT) as stream:
            async for _ in stream:
                pass
            final = await stream.get_final_completion()
        assert final.choices[0].message.content == "one two three"
        plain = await client.chat.completions.create(model="m", messages=CHAT)
        assert plain.choices[0].message.content == "one two three"
        assert plain.usage is not None
        assert plain.usage.completion_tokens == 3
        await client.close()


async def test_openai_responses_stream_helper_sees_the_whole_lifecycle() -> None:
    async with fake_provider(Reply("a b c", input_tokens=4)) as fake:
        client = openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="k")
        async with client.responses.stream(model="m", input="hi") as stream:
            deltas = [event.delta async for event in stream if event.type.endswith("text.delta")]
            final = await stream.get_final_response()
        assert deltas == ["a ", "b ", "c"]
        assert final.output_text == "a b c"
        assert final.usage is not None
        assert (final.usage.input_tokens, final.usage.output_tokens) == (4, 3)
        plain = await client.responses.create(model="m", input="hi")
        assert plain.output_text == "a b c"
        assert fake.requests[0].path == "/v1/responses"
        await client.close()


async def test_anthropic_stream_helper_and_plain_reply() -> None:
    async with fake_provider(Reply("x y", token_delay=0.001, first_byte_delay=0.001)) as fake:
        client = anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="k")
        async with client.messages.stream(model="m", max_tokens=9, messages=CHAT) as stream:
            tokens = [token async for token in stream.text_stream]
            final = await stream.get_final_message()
        assert tokens == ["x ", "y"]
        assert final.stop_reason == "end_turn"
        plain = await client.messages.create(model="m", max_tokens=9, messages=CHAT)
        assert plain.content[0].type == "text"
        assert plain.content[0].text == "x y"
        await client.close()


async def test_requests_are_recorded_and_replies_can_depend_on_them() -> None:
    def echo(request: RecordedRequest) -> str:
        return "echo: " + request.messages[-1]["content"]

    async with fake_provider(echo) as fake:
        client = openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="secret")
        fake.enqueue("queued first")
        first = await client.chat.completions.create(model="m", messages=CHAT, temperature=0.2)
        second = await client.chat.completions.create(model="m", messages=CHAT)
        assert first.choices[0].message.content == "queued first"
        assert second.choices[0].message.content == "echo: hi"
        recorded = await fake.wait_for_requests(2)
        assert recorded[0].json == {"model": "m", "messages": CHAT, "temperature": 0.2}
        assert recorded[0].headers["authorization"] == "Bearer secret"
        await client.close()


async def test_unknown_path_is_a_404() -> None:
    async with fake_provider() as fake:
        client = openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0)
        with pytest.raises(openai.NotFoundError):
            await client.embeddings.create(model="m", input="x")
        await client.close()


async def test_server_binds_loopback_only_and_shuts_down_with_a_hanging_request() -> None:
    async with fake_provider(Reply(hang=True)) as fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        reader, writer = await asyncio.open_connection("127.0.0.1", fake.port)
        body = b'{"model": "m", "stream": true}'
        writer.write(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()
        await fake.wait_for_requests(1)
    assert fake._connections == set()
    assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()


async def test_client_hanging_up_is_counted(fake_server: FakeProvider) -> None:
    fake_server.enqueue(Reply(hang=True))
    reader, writer = await asyncio.open_connection("127.0.0.1", fake_server.port)
    body = b"{}"
    writer.write(b"POST /v1/messages HTTP/1.1\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    await fake_server.wait_for_requests(1)
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(10):
        await fake_server.wait_for_disconnects(1)
    assert fake_server.disconnects == 1
    del reader


@pytest.fixture
async def fake_server() -> object:
    async with fake_provider() as server:
        yield server
