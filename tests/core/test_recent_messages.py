"""Messages a session wrote are read back from memory, as written; others from the store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ramify.core import (
    AssistantMessage,
    InteractionContext,
    Message,
    Ramify,
    Session,
    SQLiteStore,
    UserMessage,
    agent,
)
from ramify.core.recent_messages import RecentMessages


class ReadCountingStore(SQLiteStore):
    """A real SQLite store that notes which messages were read from it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.read: list[str] = []

    async def get_messages(self, hashes: Sequence[str]) -> dict[str, Message]:
        self.read.extend(hashes)
        return await super().get_messages(hashes)


REPLY = "a long reply\n" * 10_000


@agent(alias="WRITER", cache=False)
async def writer(ctx: InteractionContext) -> None:
    ctx.reply(REPLY)


async def test_a_recorded_reply_is_read_back_without_the_store(tmp_path: Path) -> None:
    async with ReadCountingStore(tmp_path / "s.db") as store, Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="write"))
        await session.inquire(writer)
        nodes = await session.path("main")
        store.read.clear()
        first = await session.messages(nodes)
        again = await session.messages(nodes)
        one = await session.message(nodes[-1])
        by_hash = await session.messages_by_hash([nodes[-1].message, nodes[0].message])
    assert [message.text for message in first] == ["write", REPLY]
    assert store.read == []
    assert again[-1] is first[-1] is one is by_hash[nodes[-1].message]
    assert list(by_hash) == [nodes[-1].message, nodes[0].message]


async def test_another_session_object_reads_and_verifies_from_the_store(tmp_path: Path) -> None:
    async with ReadCountingStore(tmp_path / "s.db") as store:
        session = await Session.create(store)
        wrote = AssistantMessage(text="kept")
        node = await session.append(wrote, sender="BOT")
        other = await Session.open(store, session.id)
        store.read.clear()
        read = await other.message(node)
    assert read == wrote
    assert read is not wrote
    assert store.read == [wrote.hash_key]


def test_recent_messages_drop_the_oldest_past_their_bounds() -> None:
    kept = RecentMessages(count=2, chars=50)
    a, b, c, d = (UserMessage(text=text) for text in "abcd")
    for message in (a, b, c):
        kept.add(message)
    assert list(kept.found([a.hash_key, b.hash_key, c.hash_key]).values()) == [b, c]
    kept.add(b)  # written again: now the newest, so `c` goes first
    kept.add(d)
    assert list(kept.found([b.hash_key, c.hash_key, d.hash_key]).values()) == [b, d]
    big = UserMessage(text="x" * 49)
    kept.add(big)  # `d` and it fit in 50 characters; `b` does not
    assert list(kept.found([b.hash_key, d.hash_key, big.hash_key]).values()) == [d, big]
    bigger = UserMessage(text="y" * 1_000)
    kept.add(bigger)  # over the bound alone, and still kept: it is the newest
    assert kept.found([d.hash_key, big.hash_key, bigger.hash_key]) == {bigger.hash_key: bigger}
