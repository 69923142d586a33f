"""Termination conditions stop loops and networks cleanly, and the reason is recorded."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest

from ramify.core import USER, MemoryStore, Ramify, Session, UserMessage
from ramify.core.net import (
    DEFAULT_MAX_MESSAGES,
    Actor,
    ExternalStop,
    HandoffToUser,
    MaxMessages,
    NetError,
    NetMessage,
    NetState,
    Network,
    Stopped,
    TextMention,
    Timeout,
    TokenBudget,
)
from ramify.core.runs import RunStatus


class Ball(NetMessage):
    type_tag: ClassVar[str] = "tests.net.Ball"
    hits: int = 0


class Player(Actor):
    """Returns every ball forever: a cycle that never ends by itself."""

    def receive_ball(self, ball: Ball) -> Ball:
        # Signed with its own name: inside a nested network the ball stays between players.
        return Ball.reply_to(
            ball, sender=self.name, hits=ball.hits + 1, text=f"hit {ball.hits + 1}"
        )


class Waiter(Actor):
    """A handler that waits until released (never, unless a test says so)."""

    def __init__(self, name: str, started: asyncio.Event) -> None:
        super().__init__(name)
        self.started = started

    async def receive_ball(self, ball: Ball) -> None:
        self.started.set()
        await asyncio.Event().wait()


def _rally(stop: object = None) -> Network:
    return Network("rally", [Player("a"), Player("b")], stop=stop)  # type: ignore[arg-type]


def _serve() -> Ball:
    return Ball(sender="b", receiver="a")


async def test_max_messages_stops_a_cycle_and_records_why() -> None:
    result = await _rally(MaxMessages(5)).run(_serve())
    assert result.stop_reason == "reached 5 messages"
    stopped = result.messages[-1]
    assert isinstance(stopped, Stopped)
    assert stopped.reason == "reached 5 messages"
    assert stopped.sender == "rally"
    assert stopped.parent is result.messages[-2]
    assert len([m for m in result.messages if isinstance(m, Ball)]) == 5


async def test_a_network_without_a_condition_still_stops_a_cycle() -> None:
    result = await _rally().run(_serve(), keep_messages=False)
    assert result.stop_reason == f"reached {DEFAULT_MAX_MESSAGES} messages"
    assert result.count == DEFAULT_MAX_MESSAGES + 1  # and the Stopped notice


async def test_text_mention_stops_when_a_message_says_it() -> None:
    result = await _rally(TextMention("hit 3")).run(_serve())
    assert result.stop_reason == "a message mentioned 'hit 3'"
    assert result.messages[-2].text == "hit 3"


async def test_token_budget_counts_text_when_no_usage_is_reported() -> None:
    # "hit N" is 5 characters: one estimated token each; the serve has none.
    result = await _rally(TokenBudget(3)).run(_serve())
    assert result.stop_reason == "used the token budget (3 of 3)"


async def test_conditions_combine_with_or_and_and() -> None:
    either = await _rally(MaxMessages(100) | TextMention("hit 2")).run(_serve())
    assert either.stop_reason == "a message mentioned 'hit 2'"
    both = await _rally(MaxMessages(4) & TextMention("hit")).run(_serve())
    assert both.stop_reason == "reached 4 messages and a message mentioned 'hit'"
    condition = MaxMessages(2) & TextMention("never")
    assert condition.check(NetState(messages=9)) is None


class Asker(Actor):
    def receive_ball(self, ball: Ball) -> NetMessage:
        return NetMessage.reply_to(ball, receiver=USER, text="your turn")


async def test_handoff_to_the_user_stops_with_the_question_as_output() -> None:
    net = Network("n", [Asker("asker")], stop=HandoffToUser() | MaxMessages(50))
    result = await net.run(Ball(sender=USER, receiver="asker"))
    assert result.stop_reason == f"handed off to {USER}"
    assert [m.text for m in result.outputs] == ["your turn"]


async def test_a_timeout_stops_a_handler_that_never_returns() -> None:
    started = asyncio.Event()
    net = Network("n", [Waiter("w", started)], stop=Timeout(0.05))
    result = await asyncio.wait_for(net.run(Ball(receiver="w")), timeout=60)
    assert started.is_set()
    assert result.stop_reason == "timed out after 0.05 s"
    assert isinstance(result.messages[-1], Stopped)


async def test_an_external_stop_ends_a_waiting_network_from_another_task() -> None:
    started = asyncio.Event()
    stop = ExternalStop()
    net = Network("n", [Waiter("w", started)], stop=stop | MaxMessages(10))
    running = asyncio.ensure_future(net.run(Ball(receiver="w")))
    await started.wait()
    stop.set("the user pressed stop")
    result = await asyncio.wait_for(running, timeout=60)
    assert result.stop_reason == "the user pressed stop"
    # The same network runs again afterwards: the stop was for that run only.
    started.clear()
    again = asyncio.ensure_future(net.run(Ball(receiver="w")))
    await started.wait()
    assert not again.done()
    again.cancel()
    with pytest.raises(asyncio.CancelledError):
        await again


async def test_a_nested_network_stops_by_its_own_condition_and_the_outer_goes_on() -> None:
    inner = Network("inner", [Player("a"), Player("b")], stop=MaxMessages(3))
    outer = Network("outer", [inner, Asker("asker")], stop=MaxMessages(50))
    result = await outer.run(Ball(sender="b", receiver="inner"))
    stops = [m for m in result.messages if isinstance(m, Stopped)]
    assert [s.sender for s in stops] == ["inner"]
    assert result.stop_reason is None


def test_conditions_refuse_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MaxMessages(0)
    with pytest.raises(ValueError, match="non-empty"):
        TextMention("")
    with pytest.raises(ValueError, match="seconds"):
        Timeout(-1)


# ------------------------------------------------------------------ recorded in a session


class Broken(Actor):
    def receive_message(self, message: object) -> Ball:
        return Ball(receiver="ghost_free", text="to myself")

    def receive_ball(self, ball: Ball) -> None:
        raise RuntimeError("boom")


async def _session_with(text: str) -> Session:
    session = await Session.create(MemoryStore())
    await session.append(UserMessage(text=text), sender=USER)
    return session


async def test_recorded_cycle_stops_and_keeps_every_message_in_the_tree() -> None:
    net = Network("rally", [Player("a"), Player("b")], entry="a", stop=MaxMessages(20))

    async with Ramify():
        session = await _session_with("serve")
        entry = Network("game", [Starter("starter"), net], stop=MaxMessages(100))
        replies = session.inquire(entry.as_agent())
        messages = await replies
        run = await replies.recorded()
    assert run.status is RunStatus.DONE
    path = await session.path_messages("main")
    last = path[-1][1]
    assert isinstance(last, Stopped)
    assert last.reason == "reached 20 messages"
    assert path[-1][0].sender == "rally"
    # Every message that streamed out is a node of the session: nothing was lost.
    stored = {node.message for node in await session.store.session_nodes(session.id)}
    assert all(message.hash_key in stored for message in messages)
    assert len(run.output_nodes) == len(messages)


class Starter(Actor):
    def receive_message(self, message: object) -> Ball:
        return Ball(sender="b", receiver="rally", text="serve")


async def test_recorded_failures_are_error_nodes_under_the_message_that_failed() -> None:
    class Thrower(Actor):
        def receive_message(self, message: object) -> Ball:
            return Ball(sender="t", receiver="t", text="again")

        def receive_ball(self, ball: Ball) -> None:
            raise RuntimeError("boom")

    async with Ramify():
        session = await _session_with("go")
        replies = session.inquire(Network("n", [Thrower("t")]).as_agent())
        await replies
        await replies.recorded()
    path = await session.path_messages("main")
    ball_node, ball = path[-2]
    error_node, error = path[-1]
    assert isinstance(ball, Ball)
    assert isinstance(error, NetError)
    assert error_node.parent == ball_node.hash_key
    assert error.text == "t failed: RuntimeError: boom"
    assert error_node.sender == "t"


async def test_cancelling_a_recorded_network_keeps_what_was_sent() -> None:
    started = asyncio.Event()

    class Opener(Actor):
        def receive_message(self, message: object) -> Ball:
            return Ball(sender="o", receiver="w", text="first")

    async with Ramify():
        session = await _session_with("go")
        net = Network("n", [Opener("o"), Waiter("w", started)])
        replies = session.inquire(net.as_agent())
        await started.wait()
        replies.cancel()
        run = await replies.recorded()
    assert run.status is RunStatus.CANCELLED
    path = await session.path_messages("main")
    assert [m.text for _, m in path] == ["go", "first", "stopped: cancelled"]
    assert path[-1][0].sender == "n"
