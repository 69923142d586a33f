"""A typed message without text (a network's bid, a MiniAgents-style record) shows its data
in the transcript, not an empty box; tool calls keep their own lines."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from ramify.core import USER, MemoryStore, Message, Session, UserMessage
from ramify.tui.controller import SessionController
from tests.tui.ide import AGENTS, echo


class Bid(Message):
    type_tag: ClassVar[str] = "tests.tui.Bid"
    amount: Decimal
    bidder: str


async def test_a_typed_message_without_text_shows_its_data() -> None:
    async with MemoryStore() as store:
        session = await Session.create(store, title="bids")
        await session.append(UserMessage(text="who bids?"), sender=USER)
        node = await session.append(Bid(amount=Decimal("12.50"), bidder="ann"), sender="ANN")
        controller = await SessionController.open(store, session.id, echo, AGENTS)
        view = controller.view_of(node, await store.get_message(node.message))
    assert view.text == 'tests.tui.Bid {"amount": "12.50", "bidder": "ann"}'


async def test_a_message_with_text_shows_its_text_only() -> None:
    async with MemoryStore() as store:
        session = await Session.create(store, title="plain")
        node = await session.append(UserMessage(text="hello"), sender=USER)
        controller = await SessionController.open(store, session.id, echo, AGENTS)
        view = controller.view_of(node, await store.get_message(node.message))
    assert view.text == "hello"
