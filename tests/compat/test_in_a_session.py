"""A MiniAgents agent recorded in a Ramify session: its replies are nodes, read back whole."""

from __future__ import annotations

import datetime as dt
import sys
import types
from decimal import Decimal
from enum import Enum
from pathlib import Path
from uuid import UUID

import pytest

from ramify.compat.miniagents import InteractionContext, Message, TextMessage, miniagent
from ramify.core import ErrorMessage, Ramify, Session, SQLiteStore, UserMessage


@miniagent
async def card_agent(ctx: InteractionContext) -> None:
    async for promise in ctx.message_promises:
        text = str(await promise)
        ctx.reply(TextMessage(content=text, content_template="{content}!", mood="glad"))
        ctx.reply(Message(kind="card", title=text))


async def test_compat_replies_are_stored_and_read_back_as_their_classes(tmp_path: Path) -> None:
    database = tmp_path / "s.sqlite3"
    async with SQLiteStore(database) as store, Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="hello"))
        replies = await session.inquire(card_agent)
        session_id = session.id
    assert str(replies[0]) == "hello!"

    async with SQLiteStore(database) as store:
        session = await Session.open(store, session_id)
        path = await session.path_messages("main")
    senders = [node.sender for node, _ in path]
    stored = [message for _, message in path]
    assert senders[1:] == ["CARD_AGENT", "CARD_AGENT"]
    assert isinstance(stored[1], TextMessage)
    assert (str(stored[1]), stored[1].mood) == ("hello!", "glad")
    assert isinstance(stored[2], Message)
    assert stored[2].serialize() == {"class_": "Message", "kind": "card", "title": "hello"}
    assert [message.hash_key for message in stored[1:]] == [r.hash_key for r in replies]


class Colour(Enum):
    RED = "red"


@miniagent
async def typed_agent(ctx: InteractionContext) -> None:
    ctx.reply(
        Message(
            at=dt.datetime(2024, 5, 6, 7, 8, 9, 10),
            day=dt.date(2024, 5, 6),
            clock=dt.time(7, 8),
            took=dt.timedelta(days=1, microseconds=3),
            id=UUID("123e4567-e89b-12d3-a456-426614174000"),
            price=Decimal("1.10"),
            where=Path("/tmp/x"),
            colour=Colour.RED,
            raw=b"\x00\xff",
            tags=frozenset({"a", "b"}),
            nested={"when": dt.date(2020, 1, 1)},
        )
    )


async def test_messages_with_miniagents_value_types_survive_a_round_trip(tmp_path: Path) -> None:
    database = tmp_path / "s.sqlite3"
    async with SQLiteStore(database) as store, Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="go"))
        (sent,) = await session.inquire(typed_agent)
        session_id = session.id

    async with SQLiteStore(database) as store:
        session = await Session.open(store, session_id)
        (_, stored) = (await session.path_messages("main"))[-1]
    assert type(stored) is Message
    assert stored.hash_key == sent.hash_key
    # An undeclared field has no annotation to read an enum back by: Ramify's core stores an
    # enum as its value (docs/architecture.md, typed values), and so does the compat layer.
    assert stored.colour == Colour.RED.value
    assert {k: v for k, v in stored.as_kwargs().items() if k != "colour"} == {
        k: v for k, v in sent.as_kwargs().items() if k != "colour"
    }
    assert stored.at == dt.datetime(2024, 5, 6, 7, 8, 9, 10)
    assert stored.tags == frozenset({"a", "b"})
    assert stored.nested.when == dt.date(2020, 1, 1)


async def test_an_enum_reads_back_whether_or_not_its_module_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stored data never names code to import: an enum is stored as its value, so reading it
    # back needs no module, and the hash is the same either way.
    module = types.ModuleType("compat_test_enums")
    module.Shade = Enum("Shade", {"DARK": "dark"})  # type: ignore[attr-defined]
    module.Shade.__module__ = module.__name__  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    database = tmp_path / "s.sqlite3"

    @miniagent
    async def shade_agent(ctx: InteractionContext) -> None:
        ctx.reply(Message(shade=module.Shade.DARK))  # type: ignore[attr-defined]

    async with SQLiteStore(database) as store, Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="go"))
        (sent,) = await session.inquire(shade_agent)

    async def last_message() -> Message:
        async with SQLiteStore(database) as store:
            opened = await Session.open(store, session.id)
            return (await opened.path_messages("main"))[-1][1]

    monkeypatch.delitem(sys.modules, module.__name__)
    without = await last_message()
    assert not isinstance(without, ErrorMessage)
    assert (without.shade, without.hash_key) == ("dark", sent.hash_key)

    monkeypatch.setitem(sys.modules, module.__name__, module)
    assert (await last_message()).hash_key == sent.hash_key


def test_a_frozenset_renders_the_same_whatever_order_it_was_built_in() -> None:
    # The stored text of a message is its str(): if a set rendered in iteration order, the copy
    # read back (built from the stored elements in another order) would render differently and
    # then count its text as a given field (this made the round trip above fail now and then).
    words = [f"word-{n}" for n in range(200)]
    forwards, backwards = frozenset(words), frozenset(reversed(words))
    assert list(forwards) != list(backwards)  # the two sets do iterate in different orders
    built = Message(tags=forwards)
    rebuilt = Message(tags=backwards)
    assert str(built) == str(rebuilt)
    assert rebuilt.as_kwargs() == built.as_kwargs()
    assert "text" not in rebuilt.as_kwargs()
