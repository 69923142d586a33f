"""Messages and nodes in every store: idempotent writes, lookups, children, paths."""

from __future__ import annotations

import pytest

from ramify.core import (
    AmbiguousPrefix,
    AssistantMessage,
    ErrorMessage,
    InvalidHashPrefix,
    Message,
    MessageNotFound,
    MissingParent,
    Node,
    NodeNotFound,
    Store,
    UserMessage,
)

from .helpers import add, chain


class CustomStoreMessage(Message):
    custom_field: str
    tags: list[str] = []


async def test_message_round_trips_with_every_field(store: Store) -> None:
    originals: list[Message] = [
        UserMessage(text="hi"),
        AssistantMessage(text="yo", model="m", input_tokens=3, output_tokens=4),
        ErrorMessage.from_exception(ValueError("bad"), partial_text="par"),
        CustomStoreMessage(text="c", custom_field="x", tags=["a", "b"], extra={"k": [1, 2]}),
    ]
    for message in originals:
        await store.put_message(message)
    for message in originals:
        loaded = await store.get_message(message.hash_key)
        assert type(loaded) is type(message)
        assert loaded.hash_key == message.hash_key
        assert loaded.to_data() == message.to_data()


async def test_same_node_written_twice_is_stored_once(store: Store) -> None:
    root = await add(store, "hello")
    again = await add(store, "hello")
    assert again.hash_key == root.hash_key
    assert await store.count_nodes() == 1


async def test_same_message_under_two_parents_gives_two_nodes(store: Store) -> None:
    a = await add(store, "a")
    b = await add(store, "b")
    under_a = await add(store, "same", a)
    under_b = await add(store, "same", b)
    assert under_a.message == under_b.message
    assert under_a.hash_key != under_b.hash_key
    assert await store.count_nodes() == 4


async def test_node_with_missing_parent_is_refused_and_nothing_written(store: Store) -> None:
    message = UserMessage(text="orphan")
    ghost = Node(message=message.hash_key)
    orphan = Node(message=message.hash_key, parent=ghost.hash_key)
    with pytest.raises(MissingParent):
        await store.put_nodes([orphan], [message])
    assert await store.count_nodes() == 0


async def test_node_with_unknown_message_is_refused(store: Store) -> None:
    with pytest.raises(MissingParent):
        await store.put_node(Node(message=UserMessage(text="never stored").hash_key))


async def test_node_forwarded_from_unknown_node_is_refused(store: Store) -> None:
    message = UserMessage(text="x")
    ghost = Node(message=message.hash_key, sender="ghost")
    with pytest.raises(MissingParent):
        await store.put_node(Node(message=message.hash_key, forwarded_from=ghost.hash_key), message)


async def test_batch_may_hold_parents_before_children(store: Store) -> None:
    messages = [UserMessage(text=f"m{i}") for i in range(5)]
    nodes: list[Node] = []
    for message in messages:
        parent = nodes[-1].hash_key if nodes else None
        nodes.append(Node(message=message.hash_key, parent=parent))
    await store.put_nodes(nodes, messages)
    assert [n.hash_key for n in await store.path(nodes[-1].hash_key)] == [n.hash_key for n in nodes]


async def test_provenance_fields_survive_storage(store: Store) -> None:
    message = UserMessage(text="p")
    node = Node(message=message.hash_key, sender="bot", run_id="run-1", created_at=12.5)
    await store.put_node(node, message)
    loaded = await store.get_node(node.hash_key)
    assert (loaded.sender, loaded.run_id, loaded.created_at) == ("bot", "run-1", 12.5)
    assert loaded.hash_key == node.hash_key


async def test_node_found_by_unique_prefix(store: Store) -> None:
    node = await add(store, "prefix me")
    assert (await store.get_node(node.hash_key[:6])).hash_key == node.hash_key
    assert (await store.get_node(node.hash_key[:8].upper())).hash_key == node.hash_key
    message = await store.get_message(node.message[:5])
    assert message.hash_key == node.message


async def test_prefix_shorter_than_four_or_not_hex_is_refused(store: Store) -> None:
    node = await add(store, "x")
    with pytest.raises(InvalidHashPrefix):
        await store.get_node(node.hash_key[:3])
    with pytest.raises(InvalidHashPrefix):
        await store.get_node("zzzz")


async def test_unknown_hash_and_prefix_raise_not_found(store: Store) -> None:
    with pytest.raises(NodeNotFound):
        await store.get_node("0" * 64)
    with pytest.raises(NodeNotFound):
        await store.get_node("abcd")
    with pytest.raises(MessageNotFound):
        await store.get_message("f" * 64)


async def test_children_are_listed_oldest_first(store: Store) -> None:
    root = await add(store, "root")
    kids = [await add(store, f"kid {i}", root) for i in range(3)]
    await add(store, "grandchild", kids[0])
    assert [n.hash_key for n in await store.children(root.hash_key)] == [k.hash_key for k in kids]


async def test_children_filtered_by_session_membership(store: Store) -> None:
    root = await add(store, "shared root", session_id="s1")
    await add(store, "shared root", session_id="s2")
    mine = await add(store, "in s1", root, session_id="s1")
    theirs = await add(store, "in s2", root, session_id="s2")
    assert [n.hash_key for n in await store.children(root.hash_key, session_id="s1")] == [
        mine.hash_key
    ]
    assert len(await store.children(root.hash_key)) == 2
    assert theirs.hash_key != mine.hash_key


async def test_path_walks_from_root_to_node(store: Store) -> None:
    nodes = await chain(store, [f"turn {i}" for i in range(30)])
    path = await store.path(nodes[17].hash_key)
    assert [n.hash_key for n in path] == [n.hash_key for n in nodes[:18]]
    assert (await store.path(nodes[0].hash_key))[0].parent is None


async def test_path_of_unknown_node_raises(store: Store) -> None:
    with pytest.raises(NodeNotFound):
        await store.path("1" * 64)


async def test_get_messages_returns_known_ones_in_order(store: Store) -> None:
    a, b = await chain(store, ["alpha", "beta"])
    found = await store.get_messages([b.message, "2" * 64, a.message])
    assert list(found) == [b.message, a.message]
    assert found[a.message].text == "alpha"


async def test_ambiguous_prefix_error_counts_matches(store: Store) -> None:
    by_prefix: dict[str, tuple[Node, Message]] = {}
    number = 0
    while True:
        message = UserMessage(text=f"n{number}")
        node = Node(message=message.hash_key)
        number += 1
        if node.hash_key[:4] in by_prefix:
            break
        by_prefix[node.hash_key[:4]] = (node, message)
    twin, twin_message = by_prefix[node.hash_key[:4]]
    await store.put_nodes([twin, node], [twin_message, message])
    with pytest.raises(AmbiguousPrefix, match=r"matches 2 nodes") as caught:
        await store.get_node(node.hash_key[:4])
    assert caught.value.count == 2
    assert (await store.get_node(node.hash_key[:12])).hash_key == node.hash_key


async def test_batch_of_stored_and_new_nodes_joins_them_all_to_the_session(store: Store) -> None:
    old = await chain(store, ["first", "second"], session_id="s1")
    message = UserMessage(text="third")
    new = Node(message=message.hash_key, parent=old[-1].hash_key)
    await store.put_nodes([*old, new], [message], session_id="s2")
    assert [n.hash_key for n in await store.children(old[0].hash_key, session_id="s2")] == [
        old[1].hash_key
    ]
    assert [n.hash_key for n in await store.children(old[1].hash_key, session_id="s2")] == [
        new.hash_key
    ]
    assert [n.hash_key for n in await store.search("first", session_id="s2")] == [old[0].hash_key]
    assert await store.children(old[1].hash_key, session_id="s1") == []


async def test_message_given_again_is_indexed_for_search_once(store: Store) -> None:
    message = UserMessage(text="repeated words")
    root = Node(message=message.hash_key)
    await store.put_nodes([root], [message, message])
    reply = Node(message=message.hash_key, parent=root.hash_key, sender="bot")
    await store.put_nodes([reply, reply], [message])
    found = await store.search("repeated")
    assert [n.hash_key for n in found] == [root.hash_key, reply.hash_key]
    assert await store.count_nodes() == 2


async def test_nodes_read_back_equal_the_written_ones_field_for_field(store: Store) -> None:
    message = UserMessage(text="same fields")
    root = Node(message=message.hash_key, run_id="r", created_at=1.5)
    child = Node(message=message.hash_key, parent=root.hash_key, sender="bot", created_at=2.0)
    forward = Node(message=message.hash_key, parent=child.hash_key, forwarded_from=root.hash_key)
    await store.put_nodes([root, child, forward], [message])
    loaded = await store.path(forward.hash_key)
    assert [n.model_dump() for n in loaded] == [n.model_dump() for n in (root, child, forward)]
    assert [n.hash_key for n in loaded] == [n.hash_key for n in (root, child, forward)]
    assert all(type(n) is Node for n in loaded)
