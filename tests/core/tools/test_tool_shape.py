"""Slice 1: the tree shape of tool use and the `@tool` decorator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest

from ramify.core import Frozen, MemoryStore, Session, SQLiteStore, UserMessage
from ramify.core.tools import (
    Tool,
    ToolCall,
    ToolCallsMessage,
    ToolResultMessage,
    run_call,
    tool,
    tools_by_name,
)


def test_schema_comes_from_type_hints_and_docstring() -> None:
    @tool
    def search(query: str, limit: int = 10, mode: Literal["fast", "deep"] = "fast") -> list[str]:
        """Search the notes."""
        return []

    assert isinstance(search, Tool)
    assert search.name == "search"
    assert search.description == "Search the notes."
    schema = search.parameters
    assert schema["type"] == "object"
    assert schema["required"] == ["query"]
    assert schema["properties"]["query"]["type"] == "string"
    assert schema["properties"]["limit"] == {"default": 10, "title": "Limit", "type": "integer"}
    assert schema["properties"]["mode"]["enum"] == ["fast", "deep"]
    assert schema["additionalProperties"] is False
    assert search.openai_spec()["function"]["parameters"] == schema
    assert search.anthropic_spec()["input_schema"] == schema
    assert search.responses_spec()["name"] == "search"


def test_annotations_are_kept() -> None:
    @tool(destructive=True, open_world=True, name="wipe", description="Wipe it.")
    async def wipe_disk(path: str) -> str:
        return path

    assert wipe_disk.name == "wipe"
    assert wipe_disk.description == "Wipe it."
    assert wipe_disk.annotations.destructive
    assert wipe_disk.annotations.open_world
    assert not wipe_disk.annotations.read_only
    assert wipe_disk.annotations.has_side_effects

    @tool(read_only=True)
    def look(path: str) -> str:
        return path

    assert look.annotations.read_only
    assert not look.annotations.has_side_effects


def test_a_parameter_without_a_type_hint_is_refused() -> None:
    def untyped(value):  # type: ignore[no-untyped-def]
        return value

    with pytest.raises(TypeError, match="needs a type hint"):
        tool(untyped)


def test_two_tools_of_one_name_are_refused() -> None:
    @tool
    def same(a: int) -> int:
        return a

    with pytest.raises(ValueError, match="two tools"):
        tools_by_name([same, same])


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"a": "seven", "b": 2}', "a: Input should be a valid integer"),
        ('{"a": 1}', "b: Field required"),
        ('{"a": 1, "b": 2, "c": 3}', "c: Extra inputs are not permitted"),
        ("{not json", "arguments"),
    ],
)
async def test_arguments_not_matching_the_schema_are_refused_before_the_call(
    arguments: str, problem: str
) -> None:
    calls: list[tuple[int, int]] = []

    @tool
    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    result = await run_call({"add": add}, ToolCall(id="c1", name="add", arguments=arguments))
    assert calls == []
    assert result.is_error
    assert result.call_id == "c1"
    assert result.text.startswith("Error: arguments do not match the schema of add")
    assert problem in result.text
    assert "\n" not in result.text


async def test_a_matching_call_runs_and_its_result_is_json_text() -> None:
    @tool
    def pair(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    result = await run_call(
        {"pair": pair}, ToolCall(id="c", name="pair", arguments='{"a":2,"b":3}')
    )
    assert not result.is_error
    assert json.loads(result.text) == {"sum": 5}
    assert result.role == "tool"


def test_a_result_hashes_only_what_the_model_sees() -> None:
    fast = ToolResultMessage(text="84", call_id="c", name="calc", duration_ms=1.0)
    slow = ToolResultMessage(text="84", call_id="c", name="calc", duration_ms=900.0)
    assert fast.hash_key == slow.hash_key
    assert "duration_ms" not in fast.canonical_document()
    other = ToolResultMessage(text="85", call_id="c", name="calc")
    assert other.hash_key != fast.hash_key
    failed = ToolResultMessage(text="84", call_id="c", name="calc", is_error=True)
    assert failed.hash_key != fast.hash_key


def test_an_assistant_message_carries_its_calls_in_its_hash() -> None:
    one = ToolCallsMessage(text="x", tool_calls=[ToolCall(id="a", name="n", arguments="{}")])
    two = ToolCallsMessage(text="x", tool_calls=[ToolCall(id="a", name="n", arguments='{"v":1}')])
    assert one.hash_key != two.hash_key
    assert isinstance(one.tool_calls[0], ToolCall)
    rebuilt = Frozen.from_data(json.loads(json.dumps(one.to_data())))
    assert isinstance(rebuilt, ToolCallsMessage)
    assert rebuilt.hash_key == one.hash_key
    assert rebuilt.tool_calls == one.tool_calls


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_calls_and_results_are_stored_as_nodes(kind: str, tmp_path: Path) -> None:
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "t.db")
    async with store:
        session = await Session.create(store)
        await session.append(UserMessage("what is 2+2"))
        call = ToolCall(id="c1", name="calculator", arguments='{"expression":"2+2"}')
        asked = ToolCallsMessage(text="Let me see.", tool_calls=[call])
        await session.append(asked, sender="bot")
        result = ToolResultMessage(text="4", call_id="c1", name="calculator", duration_ms=3.0)
        node = await session.append(result, sender="bot")
        reopened = await Session.open(store, session.id)
        path = await reopened.path_messages(node)
        messages = [message for _, message in path]
        assert [type(message) for message in messages] == [
            UserMessage,
            ToolCallsMessage,
            ToolResultMessage,
        ]
        assert messages[1] == asked
        assert messages[1].tool_calls == (call,)
        assert messages[2] == result
        assert messages[2].call_id == "c1"
