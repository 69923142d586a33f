"""`PathCache` and agent history: cached paths match the store, grow by what is new, and a
shared history promise forwarded as a reply is stamped on a copy only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import (
    USER,
    AssistantMessage,
    InteractionContext,
    Message,
    MessagePromise,
    Ramify,
    Session,
    SQLiteStore,
    UserMessage,
    agent,
)
from ramify.core.path_cache import PathCache
from ramify.core.promising import SharedMessagePromise
from ramify.core.tree import Node


class CountingStore(SQLiteStore):
    """A real SQLite store that counts the reads a path lookup can make."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.reads = {"path": 0, "get_node": 0, "messages": 0}

    async def path(self, node_hash: str) -> list[Node]:
        self.reads["path"] += 1
        return await super().path(node_hash)

    async def get_node(self, key: str) -> Node:
        self.reads["get_node"] += 1
        return await super().get_node(key)

    async def get_messages(self, hashes: object) -> dict[str, Message]:  # type: ignore[override]
        self.reads["messages"] += len(hashes)  # type: ignore[arg-type]
        return await super().get_messages(hashes)  # type: ignore[arg-type]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CountingStore]:
    async with CountingStore(tmp_path / "paths.sqlite3") as opened:
        yield opened


async def _chain(session: Session, count: int, branch: str = "main") -> list[Node]:
    nodes = []
    for index in range(count):
        message: Message = (
            UserMessage(text=f"q{index}")
            if index % 2 == 0
            else AssistantMessage(text=f"a{index}", model="m")
        )
        sender = USER if index % 2 == 0 else "BOT"
        nodes.append(await session.append(message, sender=sender, branch=branch))
    return nodes


async def _truth(session: Session, head: Node) -> tuple[list[str], list[str]]:
    nodes = await session.store.path(head.hash_key)
    messages = await session.messages(nodes)
    return [node.hash_key for node in nodes], [message.hash_key for message in messages]


def _shape(path: object) -> tuple[list[str], list[str]]:
    nodes, messages, promises = path  # type: ignore[misc]
    assert [promise.partial() for promise in promises] == list(messages)
    return [node.hash_key for node in nodes], [message.hash_key for message in messages]


async def test_a_cached_path_is_the_stores_path_with_its_messages(store: CountingStore) -> None:
    session = await Session.create(store)
    nodes = await _chain(session, 30)
    cache = PathCache(store)
    for head in (nodes[-1], nodes[10], nodes[0]):
        assert _shape(await cache.get(head)) == await _truth(session, head)


async def test_a_grown_branch_reads_only_its_new_nodes(store: CountingStore) -> None:
    session = await Session.create(store)
    nodes = await _chain(session, 200)
    cache = PathCache(store, reach=16)
    await cache.get(nodes[-1])
    assert store.reads["path"] == 1  # 200 deep, out of reach: read in one query
    grown = await _chain(session, 3)
    before = dict(store.reads)
    path = await cache.get(grown[-1])
    assert store.reads["path"] == before["path"]
    assert store.reads["messages"] - before["messages"] == 3
    assert _shape(path) == await _truth(session, grown[-1])
    # Asking again reads nothing at all.
    before = dict(store.reads)
    assert (await cache.get(grown[-1])) is path
    assert store.reads == before


async def test_a_fork_far_above_every_cached_head_is_read_whole(store: CountingStore) -> None:
    session = await Session.create(store)
    nodes = await _chain(session, 100)
    cache = PathCache(store, reach=8)
    await cache.get(nodes[-1])
    await session.fork(nodes[20], "side")
    side = await _chain(session, 2, branch="side")
    path = await cache.get(side[-1])
    assert _shape(path) == await _truth(session, side[-1])
    assert [node.hash_key for node in path.nodes[:21]] == [n.hash_key for n in nodes[:21]]


async def test_the_cache_keeps_only_its_most_recent_paths(store: CountingStore) -> None:
    session = await Session.create(store)
    nodes = await _chain(session, 12)
    cache = PathCache(store, size=2, reach=0)
    for head in nodes[-3:]:
        await cache.get(head)
    before = store.reads["path"]
    await cache.get(nodes[-1])  # still cached
    assert store.reads["path"] == before
    await cache.get(nodes[-3])  # dropped: read again
    assert store.reads["path"] == before + 1


async def test_agents_get_the_branch_history_in_order_each_run(store: CountingStore) -> None:
    seen: list[list[str]] = []

    @agent(cache=False)
    async def reader(ctx: InteractionContext) -> None:
        history = await ctx.message_promises
        seen.append([message.text for message in history])
        ctx.reply(f"saw {len(history)}")

    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="one"))
        await session.inquire(reader)
        await session.append(UserMessage(text="two"))
        await session.inquire(reader)
    assert seen == [["one"], ["one", "saw 1", "two"]]


async def test_forwarding_history_as_a_reply_stamps_a_copy(store: CountingStore) -> None:
    """An agent that replies with its input is the sender of what it replied, and the shared
    history the next run gets is not marked as that agent's."""
    origins: list[list[str | None]] = []

    @agent(alias="ECHO", cache=False)
    async def echo(ctx: InteractionContext) -> None:
        history = [promise async for promise in ctx.message_promises]
        assert all(isinstance(promise, SharedMessagePromise) for promise in history)
        origins.append([promise.origin for promise in history])
        ctx.reply(history[-1])

    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="hello"))
        replies = await session.inquire(echo)
        await session.append(UserMessage(text="again"))
        await session.inquire(echo)
        path = await session.path_messages("main")
    assert [message.text for message in replies] == ["hello"]
    assert [(node.sender, message.text) for node, message in path] == [
        (USER, "hello"), ("ECHO", "hello"), (USER, "again"), ("ECHO", "again"),
    ]  # fmt: skip
    assert origins == [[None], [None, None, None]]


async def test_from_message_builds_the_state_the_constructor_would() -> None:
    """`from_message` sets the resolved state directly; it must match what `__init__`,
    `_push` and `_finish` produce, attribute for attribute."""
    message = AssistantMessage(text="the whole text", model="m")
    async with Ramify():
        fast = MessagePromise.from_message(message)
        known = {key: value for key, value in message.hashed_fields().items() if key != "text"}
        slow = MessagePromise(message_class=AssistantMessage, **known)
        slow._push(message.text)
        slow._message = message
        slow._finish()
    assert fast.__dict__.keys() == slow.__dict__.keys()
    assert {k: v for k, v in fast.__dict__.items() if k != "known_beforehand"} == {
        k: v for k, v in slow.__dict__.items() if k != "known_beforehand"
    }
    assert dict(fast.known_beforehand) == dict(slow.known_beforehand)
    assert await fast == message
    assert [token async for token in fast] == ["the whole text"]
