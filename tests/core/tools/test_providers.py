"""Slice 3: tool calls through the real SDKs against the loopback fake, one test per wire
format: streamed call deltas, parallel calls, results fed back, the loop to a final answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ramify.core import MemoryStore, Message, Ramify, Session, UserMessage
from ramify.core.llm import close_clients
from ramify.core.testing import FakeProvider, Reply, ScriptedToolCall, fake_provider
from ramify.core.tools import ToolCallsMessage, ToolResultMessage, agent_with_tools, tool

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"

SCRIPT = (
    Reply(
        text="Adding both.",
        tool_calls=[
            ScriptedToolCall("add", '{"a": 2, "b": 3}', id="call_one"),
            ScriptedToolCall("add", '{"a": 10, "b": 20}', id="call_two"),
        ],
    ),
    Reply(text="The sums are 5 and 30."),
)


@tool(read_only=True)
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProvider]:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    async with fake_provider("unused") as server:
        yield server
        await close_clients()


async def _run(fake: FakeProvider, api: Any, **params: Any) -> list[Message]:
    fake.enqueue(*SCRIPT)
    agent = agent_with_tools([add], api=api, alias="adder", **params)
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage("add 2+3 and 10+20"))
        await session.inquire(agent).recorded()
        messages = [message for _, message in await session.path_messages("main")]
    assert len(fake.requests) == 2
    _user, asked, first, second, answer = messages
    assert isinstance(asked, ToolCallsMessage)
    assert asked.text == "Adding both."
    # The arguments arrived in 7-character deltas and were put back together.
    assert [(call.id, call.name, json.loads(call.arguments)) for call in asked.tool_calls] == [
        ("call_one", "add", {"a": 2, "b": 3}),
        ("call_two", "add", {"a": 10, "b": 20}),
    ]
    assert isinstance(first, ToolResultMessage)
    assert isinstance(second, ToolResultMessage)
    assert [(first.call_id, first.text), (second.call_id, second.text)] == [
        ("call_one", "5"),
        ("call_two", "30"),
    ]
    assert isinstance(answer, ToolCallsMessage)
    assert answer.text == "The sums are 5 and 30."
    assert answer.tool_calls == ()
    return messages


async def test_openai_chat_completions_tool_calls(fake: FakeProvider) -> None:
    await _run(fake, "openai", model="gpt-4o-mini", base_url=fake.openai_base_url)
    first, second = fake.requests
    assert first.path == "/v1/chat/completions"
    assert first.json["tools"][0]["function"]["name"] == "add"
    assert first.json["tools"][0]["function"]["parameters"]["required"] == ["a", "b"]
    fed_back = second.messages[-3:]
    assert fed_back[0]["role"] == "assistant"
    assert [call["id"] for call in fed_back[0]["tool_calls"]] == ["call_one", "call_two"]
    assert fed_back[0]["tool_calls"][1]["function"]["arguments"] == '{"a": 10, "b": 20}'
    assert fed_back[1:] == [
        {"role": "tool", "tool_call_id": "call_one", "content": "5"},
        {"role": "tool", "tool_call_id": "call_two", "content": "30"},
    ]


async def test_openai_compatible_endpoint_tool_calls_without_a_key(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    await _run(
        fake,
        "openai",
        model="llama3.2",
        base_url=fake.openai_base_url,
        api_key_env=None,
        provider="Ollama",
    )
    assert fake.requests[0].headers["authorization"] == "Bearer no-key-needed"
    assert fake.requests[1].messages[-1] == {
        "role": "tool",
        "tool_call_id": "call_two",
        "content": "30",
    }


async def test_openai_responses_api_tool_calls(fake: FakeProvider) -> None:
    await _run(fake, "responses", model="gpt-4o-mini", base_url=fake.openai_base_url)
    first, second = fake.requests
    assert first.path == "/v1/responses"
    assert first.json["tools"][0]["name"] == "add"
    assert first.json["input"] == [{"role": "user", "content": "add 2+3 and 10+20"}]
    items = second.json["input"]
    assert items[1] == {"role": "assistant", "content": "Adding both."}
    assert items[2]["type"] == "function_call"
    assert (items[2]["call_id"], items[3]["call_id"]) == ("call_one", "call_two")
    assert items[4:] == [
        {"type": "function_call_output", "call_id": "call_one", "output": "5"},
        {"type": "function_call_output", "call_id": "call_two", "output": "30"},
    ]


async def test_anthropic_messages_tool_calls(fake: FakeProvider) -> None:
    await _run(fake, "anthropic", model="claude-test", base_url=fake.anthropic_base_url)
    first, second = fake.requests
    assert first.path == "/v1/messages"
    assert first.json["tools"][0]["input_schema"]["required"] == ["a", "b"]
    assistant, results = second.messages[-2:]
    assert assistant["role"] == "assistant"
    assert assistant["content"][0] == {"type": "text", "text": "Adding both."}
    assert assistant["content"][1:] == [
        {"type": "tool_use", "id": "call_one", "name": "add", "input": {"a": 2, "b": 3}},
        {"type": "tool_use", "id": "call_two", "name": "add", "input": {"a": 10, "b": 20}},
    ]
    # Both results travel in one user turn, right after the calls, as the API requires.
    assert results == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_one", "content": "5"},
            {"type": "tool_result", "tool_use_id": "call_two", "content": "30"},
        ],
    }


async def test_with_tools_turns_a_configured_model_into_a_tool_agent(fake: FakeProvider) -> None:
    from ramify.core.llm import agent_for_model, parse_config
    from ramify.core.tools import with_tools

    config = parse_config(
        f"""
        [providers.local]
        kind = "openai-compatible"
        base_url = "{fake.openai_base_url}"

        [models.local-llama]
        provider = "local"
        name = "llama3.2"
        """
    )
    agent = with_tools(agent_for_model("local-llama", config), [add])
    assert agent.alias == "local-llama"
    fake.enqueue(*SCRIPT)
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage("add"))
        await session.inquire(agent).recorded()
        texts = [message.text for _, message in await session.path_messages("main")]
    assert texts[2:] == ["5", "30", "The sums are 5 and 30."]
    assert fake.requests[0].json["model"] == "llama3.2"
    assert fake.requests[0].json["tools"][0]["function"]["name"] == "add"


def test_with_tools_refuses_an_agent_that_is_not_a_model() -> None:
    from ramify.core import agent
    from ramify.core.tools import with_tools

    @agent
    async def plain(ctx: object) -> None:
        return None

    with pytest.raises(TypeError, match="needs a model agent"):
        with_tools(plain, [add])
