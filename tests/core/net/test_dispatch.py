"""Actors dispatch by type; reply, forward, tell, emit; closest; streaming replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest

from ramify.core import MemoryStore, Message, Ramify, Session, UserMessage
from ramify.core.net import (
    Actor,
    NetError,
    NetMessage,
    Network,
    NetworkNotRunning,
    closest,
    snake_case,
)
from ramify.core.promising import MessagePromise


class Ping(NetMessage):
    type_tag: ClassVar[str] = "tests.net.Ping"
    n: int = 0


class Pong(NetMessage):
    type_tag: ClassVar[str] = "tests.net.Pong"
    n: int = 0


class LoudPing(Ping):
    type_tag: ClassVar[str] = "tests.net.LoudPing"


class Note(NetMessage):
    type_tag: ClassVar[str] = "tests.net.Note"


class Event(NetMessage):
    type_tag: ClassVar[str] = "tests.net.Event"


class Echo(Actor):
    """Async, plain and generator handlers, one per type."""

    async def receive_ping(self, message: Ping) -> Pong:
        return Pong.reply_to(message, n=message.n)

    def receive_note(self, message: Note) -> None:
        return None

    async def receive_pong(self, message: Pong) -> AsyncIterator[Note]:
        yield Note.reply_to(message, text="one")
        yield Note.reply_to(message, text="two")


class Catcher(Actor):
    async def receive_net_message(self, message: NetMessage) -> Note:
        return Note.reply_to(message, text=f"caught {type(message).__name__}")


def test_handler_names_are_snake_case_of_the_type() -> None:
    assert snake_case("CFP") == "cfp"
    assert snake_case("ContractProposal") == "contract_proposal"
    assert snake_case("HTTPRequest2Go") == "http_request2_go"
    assert snake_case("Ping") == "ping"
    assert snake_case("_Private") == "private"


def test_can_receive_follows_handlers_and_the_message_class_bases() -> None:
    echo = Echo("echo")
    assert echo.can_receive(Ping)
    assert echo.can_receive(LoudPing)  # by its base's handler
    assert not echo.can_receive(Event)
    assert Catcher("c").can_receive(Event)  # the fallback takes every NetMessage
    net = Network("n", [echo, Catcher("c")])
    assert [a.name for a in net.directory.receivers(Ping)] == ["echo", "c"]
    assert [a.name for a in net.directory.receivers(Event)] == ["c"]


async def test_reply_to_swaps_sender_and_receiver_and_places_under_the_message() -> None:
    net = Network("n", [Echo("echo"), Echo("other")])
    result = await net.run(Ping(sender="other", receiver="echo", n=3))
    ping, pong, one, two, *_ = result.messages
    assert (pong.sender, pong.receiver, pong.parent) == ("echo", "other", ping)
    assert isinstance(pong, Pong)
    assert pong.n == 3
    # The generator handler's replies, in order, both answering the pong.
    assert [one.text, two.text] == ["one", "two"]
    assert one.parent is pong
    assert two.parent is pong
    assert closest(two, Ping) is ping
    assert closest(two, Event) is None


async def test_an_unknown_type_gives_the_sender_an_error_node_under_the_message() -> None:
    net = Network("n", [Echo("echo"), Echo("asker")])
    result = await net.run(Event(sender="asker", receiver="echo", text="hello?"))
    (error,) = result.errors
    assert error.error_type == "UnknownMessageType"
    assert "echo cannot receive Event" in error.text
    assert (error.sender, error.receiver) == ("echo", "asker")
    assert error.parent is result.messages[0]
    # Echo has no receive_net_error: the error stays in the tree, it is not delivered again.
    assert result.outputs == [error]


class Fragile(Actor):
    async def receive_ping(self, message: Ping) -> Pong:
        if message.n == 0:
            raise ValueError("zero is not allowed\nsecond line")
        return Pong.reply_to(message, n=message.n)


class Asker(Actor):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.errors: list[NetError] = []

    def receive_pong(self, message: Pong) -> None:
        return None

    def receive_net_error(self, error: NetError) -> None:
        self.errors.append(error)


async def test_a_handler_that_raises_leaves_an_error_and_the_network_goes_on() -> None:
    fragile, asker = Fragile("fragile"), Asker("asker")
    net = Network("n", [fragile, asker])
    result = await net.run(
        Ping(sender="asker", receiver="fragile", n=0),
        Ping(sender="asker", receiver="fragile", n=1),
    )
    (error,) = result.errors
    assert error.error_type == "ValueError"
    assert error.text == "fragile failed: ValueError: zero is not allowed second line"
    # The sender has a receive_net_error handler, so it was told.
    assert asker.errors == [error]
    assert any(isinstance(m, Pong) and m.n == 1 for m in result.messages)


async def test_an_unknown_receiver_is_an_error_from_the_network() -> None:
    net2 = Network("k", [Misaddress("a")])
    result2 = await net2.run(Ping(receiver="a"))
    (error,) = result2.errors
    assert error.error_type == "UnknownReceiver"
    assert error.sender == "k"
    assert "no actor named 'ghost'" in error.text


class Misaddress(Actor):
    def receive_ping(self, message: Ping) -> Note:
        return Note.reply_to(message, receiver="ghost")


class Forwarder(Actor):
    def __init__(self, name: str, to: str) -> None:
        super().__init__(name)
        self.to = to

    def receive_ping(self, message: Ping) -> Ping:
        return message.forward(self.to)


class Sink(Actor):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.got: list[NetMessage] = []

    def receive_net_message(self, message: NetMessage) -> None:
        self.got.append(message)


async def test_forward_readdresses_and_keeps_provenance() -> None:
    sink = Sink("sink")
    net = Network("n", [Forwarder("fwd", "sink"), sink])
    original = Ping(sender="x", receiver="fwd", n=7)
    await net.run(original)
    (got,) = sink.got
    assert (got.sender, got.receiver, got.n) == ("fwd", "sink", 7)
    assert got.forwarded_from is not None
    assert got.forwarded_from.hash_key == original.hash_key
    assert got.parent is not None
    assert got.parent.hash_key == original.hash_key


class Repeater(Actor):
    """Replies with a message sent earlier on another branch (AgentForum style)."""

    def __init__(self, name: str, earlier: Note) -> None:
        super().__init__(name)
        self.earlier = earlier

    def receive_ping(self, message: Ping) -> Note:
        return self.earlier


async def test_replying_with_a_message_from_another_branch_forwards_it() -> None:
    sink = Sink("sink")
    earlier = Note(sender="x", receiver="sink", text="said before")
    net = Network("n", [Repeater("rep", earlier), sink])
    await net.run(earlier)
    ping = Ping(sender="y", receiver="rep", n=2)
    await net.run(ping)
    first, again = sink.got
    assert first is earlier
    assert again.hash_key == earlier.hash_key  # the same message ...
    assert again.forwarded_from is earlier  # ... pointing back at where it was first sent
    assert again.parent is ping  # ... placed under the message being answered


class Teller(Actor):
    def receive_ping(self, message: Ping) -> Note:
        self.tell(Note.reply_to(message, receiver="sink", text="told"))
        return Note.reply_to(message, receiver="sink", text="returned")


async def test_tell_sends_one_way_before_the_handler_returns() -> None:
    sink = Sink("sink")
    await Network("n", [Teller("t"), sink]).run(Ping(sender="x", receiver="t"))
    assert [m.text for m in sink.got] == ["told", "returned"]
    with pytest.raises(NetworkNotRunning):
        Teller("alone").tell(Note())


class Emitter(Actor):
    def receive_ping(self, message: Ping) -> None:
        self.emit(Event(text=f"saw {message.n}"))


async def test_emit_reaches_listeners_here_and_in_outer_networks() -> None:
    inner = Network("inner", [Emitter("e")])
    outer = Network("outer", [inner, Sink("sink")])
    here: list[str] = []
    around: list[str] = []
    inner.listen(Event, lambda event: here.append(event.text))

    async def later(event: Event) -> None:
        around.append(event.text)

    outer.listen(NetMessage, later)
    await outer.run(Ping(sender="sink", receiver="inner", n=4))
    assert here == ["saw 4"]
    assert around == ["saw 4"]


async def test_hooks_see_each_delivery_before_the_handler() -> None:
    seen: list[tuple[str, str]] = []
    net = Network("n", [Echo("echo"), Echo("other")])
    net.listen("receive", lambda actor, message: seen.append((actor.name, type(message).__name__)))
    await net.run(Ping(sender="other", receiver="echo"))
    assert seen[:3] == [("echo", "Ping"), ("other", "Pong"), ("echo", "Note")]


class Streamer(Actor):
    def __init__(self, name: str, gate: asyncio.Event) -> None:
        super().__init__(name)
        self.gate = gate

    def receive_ping(self, message: Ping) -> MessagePromise:
        gate = self.gate

        async def tokens() -> AsyncIterator[str]:
            yield "hel"
            await gate.wait()
            yield "lo"

        return self.stream(Note, tokens(), reply_to=message)


async def test_a_streamed_reply_reaches_the_sink_before_it_resolves() -> None:
    gate = asyncio.Event()
    seen: list[tuple[Any, str]] = []
    first_token = asyncio.Event()
    watchers: list[asyncio.Future[None]] = []

    def sink(item: Message | MessagePromise, sender: str) -> None:
        seen.append((item, sender))
        if isinstance(item, MessagePromise):

            async def watch() -> None:
                async for _ in item:
                    first_token.set()
                    gate.set()

            watchers.append(asyncio.ensure_future(watch()))

    async with Ramify():
        net = Network("n", [Streamer("s", gate), Sink("sink")])
        result = await asyncio.wait_for(
            net.run(Ping(sender="sink", receiver="s"), sink=sink), timeout=30
        )
    assert first_token.is_set()
    promise, sender = seen[1]  # after the ping that started it
    assert isinstance(promise, MessagePromise)
    assert sender == "s"
    note = result.messages[-1]
    assert isinstance(note, Note)
    assert note.text == "hello"
    assert (note.sender, note.receiver) == ("s", "sink")
    assert note.parent is result.messages[0]


def test_a_message_without_text_reads_as_its_data() -> None:
    assert str(Ping(n=3)) == "Ping(n=3)"
    assert str(Ping(n=3, text="hi")) == "hi"


class Broken(Actor):
    def receive_ping(self, message: Ping) -> Any:
        if message.n == 1:
            return 42  # not a reply

        async def tokens() -> AsyncIterator[str]:
            yield "half a "
            raise ConnectionError("the model went away")

        return self.stream(Note, tokens(), reply_to=message)


async def test_a_bad_return_or_a_failing_stream_is_an_error_node_not_a_crash() -> None:
    net = Network("n", [Broken("b"), Sink("sink")])
    result = await net.run(
        Ping(sender="sink", receiver="b", n=1), Ping(sender="sink", receiver="b", n=2)
    )
    first, second = result.errors
    assert first.text == (
        "b failed: TypeError: b replied int; a handler returns messages, str, "
        "MessagePromise, a list of them, or None"
    )
    assert second.text == "b failed: ConnectionError: the model went away"
    assert first.parent is result.messages[0]
    assert second.parent is result.messages[1]


class Greeter(Actor):
    def receive_message(self, message: Message) -> NetMessage:
        return NetMessage.reply_to(message, sender=self.name, text=f"{self.name} heard you")


async def test_a_person_addresses_one_actor_by_naming_it_first() -> None:
    async with Ramify():
        net = Network("n", [Greeter("first"), Greeter("second")])
        session = await Session.create(MemoryStore())
        for typed in ("hello", "@second: and you?", "@nobody hi"):
            await session.append(UserMessage(text=typed), sender="USER")
            replies = session.inquire(net.as_agent())
            await replies
            await replies.recorded()
    texts = [m.text for _, m in await session.path_messages("main")]
    assert texts == [
        "hello",
        "first heard you",
        "@second: and you?",
        "second heard you",
        "@nobody hi",
        "first heard you",  # no such actor: the entry takes it
    ]
