"""Nodes: identity chains over the parent; provenance stays out of the hash."""

from __future__ import annotations

import asyncio
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ramify.core import MemoryStore, Node, SQLiteStore, Store, UserMessage

MESSAGE = UserMessage(text="hello").hash_key


def test_same_message_parent_and_sender_is_the_same_node_whatever_the_run() -> None:
    a = Node(message=MESSAGE, sender="bot", run_id="r1", created_at=1.0)
    b = Node(message=MESSAGE, sender="bot", run_id="r2", created_at=2.0)
    assert a.hash_key == b.hash_key


def test_parent_sender_and_forward_source_change_the_hash() -> None:
    root = Node(message=MESSAGE)
    variants = {
        root.hash_key,
        Node(message=MESSAGE, parent=root.hash_key).hash_key,
        Node(message=MESSAGE, sender="bot").hash_key,
        Node(message=MESSAGE, forwarded_from=root.hash_key).hash_key,
    }
    assert len(variants) == 4


def test_node_keeps_provenance_in_to_data() -> None:
    node = Node(message=MESSAGE, run_id="r", created_at=3.5)
    again = Node.from_data(node.to_data())
    assert (again.run_id, again.created_at) == ("r", 3.5)
    assert again.hash_key == node.hash_key


def test_node_refuses_short_hashes_and_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="full 64-hex"):
        Node(message="abcd")
    with pytest.raises(ValidationError):
        Node(message=MESSAGE, colour="red")  # type: ignore[call-arg]


def test_node_is_immutable() -> None:
    node = Node(message=MESSAGE)
    with pytest.raises(ValidationError):
        node.sender = "x"  # type: ignore[misc]


@settings(max_examples=40, deadline=None)
@given(parents=st.lists(st.integers(min_value=0), min_size=1, max_size=60), data=st.data())
def test_property_path_is_root_to_node_on_random_trees(
    parents: list[int], data: st.DataObject
) -> None:
    # Node i hangs under a node chosen among 0..i-1 (or is a root), giving a random forest.
    backend = data.draw(st.sampled_from(["memory", "sqlite"]))

    async def scenario(directory: str) -> None:
        store: Store = MemoryStore() if backend == "memory" else SQLiteStore(f"{directory}/t.db")
        async with store:
            await build_and_walk(store)

    async def build_and_walk(store: Store) -> None:
        nodes: list[Node] = []
        expected: list[list[str]] = []
        for index, choice in enumerate(parents):
            is_root = index == 0 or choice % 5 == 0
            parent_index = None if is_root else choice % index
            message = UserMessage(text=f"m{index}")
            parent = None if parent_index is None else nodes[parent_index]
            node = Node(
                message=message.hash_key, parent=None if parent is None else parent.hash_key
            )
            await store.put_node(node, message)
            nodes.append(node)
            prefix = [] if parent_index is None else expected[parent_index]
            expected.append([*prefix, node.hash_key])
        target = data.draw(st.integers(0, len(nodes) - 1))
        assert [n.hash_key for n in await store.path(nodes[target].hash_key)] == expected[target]

    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(scenario(directory))
