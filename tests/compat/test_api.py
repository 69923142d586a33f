"""`ramify.compat.miniagents`: MiniAgents' names and data model over Ramify's core."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest

from ramify.compat.miniagents import (
    ErrorMessage,
    Frozen,
    InteractionContext,
    Message,
    MessagePromise,
    MessageSequence,
    MessageTokenAppender,
    MiniAgents,
    TextMessage,
    cached_privately,
    miniagent,
)
from ramify.compat.miniagents.ext.llms import UserMessage
from ramify.core import Message as CoreMessage
from ramify.core import Ramify, UnfreezableValueError, agent
from ramify.core.promising import AppenderNotOpenError


def test_text_message_str_is_its_content_or_filled_template() -> None:
    assert str(TextMessage("hello")) == "hello"
    assert str(TextMessage(content="hello")) == "hello"
    templated = TextMessage("x", content_template="{name} got {content} ({class_})", name="Ann")
    assert str(templated) == "Ann got x (TextMessage)"


def test_other_messages_show_as_json_and_are_ramify_messages() -> None:
    message = Message(role="user", kind="note")
    assert str(message) == '```json\n{"class_":"Message","role":"user","kind":"note"}\n```'
    assert isinstance(message, CoreMessage)
    assert message.text == str(message)  # what Ramify streams and stores
    assert Message().serialize() == {"class_": "Message"}  # Ramify's own fields stay hidden


def test_llm_messages_carry_their_role() -> None:
    message = UserMessage("hi")
    assert (message.role, str(message)) == ("user", "hi")


def test_hashes_are_ramify_hashes_and_extra_types_are_marked() -> None:
    when = dt.datetime(2024, 1, 1)
    with_datetime = Frozen(at=when)
    with_text = Frozen(at=when.isoformat())
    assert re.fullmatch(r"[0-9a-f]{64}", with_datetime.hash_key)
    assert with_datetime.hash_key != with_text.hash_key
    assert Frozen(tags=frozenset({"a", "b"})) == Frozen(tags=frozenset({"b", "a"}))
    nested = Frozen(settings={"depth": 2})
    assert isinstance(nested.settings, Frozen)


async def _run_agent(target: Any, messages: Any = None, **kwargs: Any) -> list[str]:
    async with MiniAgents():
        replies = await target.trigger(messages, **kwargs)
    return [str(reply) for reply in replies]


async def test_bare_string_replies_are_text_messages() -> None:
    @miniagent
    async def greeter(ctx: InteractionContext) -> None:
        ctx.reply(["hello", {"kind": "card"}])

    async with MiniAgents():
        replies = await greeter.trigger()
    assert replies[0] == TextMessage("hello")
    assert isinstance(replies[1], Message)
    assert replies[1].serialize() == {"class_": "Message", "kind": "card"}


async def test_old_names_still_work() -> None:
    @miniagent
    async def echo(ctx: InteractionContext, suffix: str = "") -> None:
        async for promise in ctx.message_promises:
            ctx.reply_urgently(f"{await promise}{suffix}")

    async with MiniAgents():
        assert [str(m) for m in await echo.inquire("a", start_asap=False)] == ["a"]
        assert [str(m) for m in await echo.kick_off("b")] == ["b"]
        call = echo.fork(suffix="!").initiate_inquiry()
        call.send_message("c")
        assert [str(m) for m in await call.reply_sequence()] == ["c!"]


async def test_a_lazy_trigger_runs_only_when_consumed() -> None:
    ran = asyncio.Event()

    @miniagent
    async def lazy(ctx: InteractionContext) -> None:
        ran.set()
        ctx.reply("ok")

    async with MiniAgents():
        replies = lazy.trigger(start_soon=False)
        for _ in range(20):
            await asyncio.sleep(0)
        assert not ran.is_set()
        assert [str(m) for m in await replies] == ["ok"]


async def test_make_sure_to_wait_holds_the_replies_open() -> None:
    gate = asyncio.Event()
    order: list[str] = []

    async def side_job() -> None:
        await gate.wait()
        order.append("side job done")

    @miniagent
    async def worker(ctx: InteractionContext) -> None:
        ctx.make_sure_to_wait(side_job())
        ctx.reply("replied")

    async with MiniAgents():
        replies = worker.trigger()
        first = await anext(aiter(replies))
        order.append(f"got {await first}")
        gate.set()
        await replies
        order.append("replies ended")
    assert order == ["got replied", "side job done", "replies ended"]


async def test_class_agents_get_the_context_as_a_keyword() -> None:
    @miniagent
    class Counter:
        def __init__(self, ctx: InteractionContext, start: int) -> None:
            self.ctx, self.start = ctx, start

        async def __call__(self) -> None:
            self.ctx.reply(str(self.start + len(await self.ctx.message_promises)))

    assert await _run_agent(Counter, ["x", "y"], start=10) == ["12"]


async def test_errors_as_messages_gives_error_messages() -> None:
    @miniagent
    async def failing(ctx: InteractionContext) -> None:
        ctx.reply("before")
        raise ValueError("boom")

    async with MiniAgents(errors_as_messages=True):
        replies = await failing.trigger()
    assert [str(m) for m in replies] == ["before", "ValueError: boom"]
    assert isinstance(replies[1], ErrorMessage)


async def test_an_appender_streams_tokens_into_a_text_message() -> None:
    @miniagent
    async def streamer(ctx: InteractionContext) -> None:
        appender = MessageTokenAppender()
        ctx.reply(MessagePromise(message_token_streamer=appender, role="assistant"))
        with appender:
            for token in ("Hel", "lo"):
                appender.append(token)
                await asyncio.sleep(0)

    async with MiniAgents():
        promise = await anext(aiter(streamer.trigger()))
        tokens = [token async for token in promise]
        message = await promise
    assert tokens == ["Hel", "lo"]
    assert isinstance(message, TextMessage)
    assert (str(message), message.role) == ("Hello", "assistant")


async def test_an_appender_never_opened_fails_instead_of_hanging() -> None:
    async with MiniAgents():
        promise = MessagePromise(message_token_streamer=MessageTokenAppender())
        with pytest.raises(AppenderNotOpenError):
            await promise


async def test_persistence_is_a_batch_per_message_instance() -> None:
    batches: list[list[str]] = []
    old_style: list[str] = []

    async def persist(messages: list[Message]) -> None:
        batches.append([str(message) for message in messages])

    async with MiniAgents(on_persist_messages=persist) as context:

        @context.on_persist_message
        async def persist_one(_promise: Any, message: Message) -> None:
            old_style.append(str(message))

        inner = TextMessage("inner")
        outer = TextMessage("outer", attachment=inner)
        await context.apersist_messages(outer)
        await context.apersist_messages(outer)  # the same instance: not again
        await context.apersist_messages(TextMessage("outer", attachment=inner))  # a new one

    assert batches == [["inner", "outer"], ["outer"]]
    assert old_style == []  # apersist_messages calls the batch handlers only


async def test_resolved_replies_are_persisted_through_both_hook_styles() -> None:
    batches: list[list[str]] = []
    old_style: list[str] = []

    async def persist(messages: list[Message]) -> None:
        batches.append([str(message) for message in messages])

    async def persist_one(_promise: Any, message: Message) -> None:
        old_style.append(str(message))

    @miniagent
    async def speaker(ctx: InteractionContext) -> None:
        ctx.reply("said once")

    async with MiniAgents(on_persist_messages=[persist], on_persist_message=persist_one):
        await speaker.trigger()
    assert ["said once"] in batches
    assert old_style.count("said once") == 1


def test_sync_handlers_are_refused() -> None:
    def not_async(messages: list[Message]) -> None:
        del messages

    with pytest.raises(ValueError, match="async def"):
        MiniAgents(on_persist_messages=not_async)


async def test_ramify_agents_and_compat_agents_call_each_other() -> None:
    @agent
    async def ramify_upper(ctx: Any) -> None:
        async for promise in ctx.message_promises:
            ctx.reply(str(await promise).upper())

    @miniagent
    async def compat_caller(ctx: InteractionContext) -> None:
        ctx.reply(ramify_upper.inquire(ctx.message_promises))

    async with Ramify():
        assert [str(m) for m in await compat_caller.trigger("quiet")] == ["QUIET"]


def test_cached_privately_computes_once_and_adds_no_field() -> None:
    calls: list[int] = []

    class Sized(Frozen):
        @property
        @cached_privately
        def size(self) -> int:
            calls.append(1)
            return len(self.items)

    value = Sized(items=[1, 2, 3])
    assert (value.size, value.size) == (3, 3)
    assert calls == [1]
    assert value.serialize() == {"class_": "Sized", "items": [1, 2, 3]}


async def test_kwargs_take_miniagents_value_types() -> None:
    seen: list[Any] = []

    @miniagent
    async def scheduler(ctx: InteractionContext, when: dt.date, config: Any, tags: Any) -> None:
        seen.extend([when, config.retries, config["retries"], tags])
        ctx.reply("ok")

    async with MiniAgents():
        await scheduler.fork(tags=frozenset({"x"})).trigger(
            when=dt.date(2024, 1, 2), config={"retries": 3}
        )
    assert seen == [dt.date(2024, 1, 2), 3, 3, frozenset({"x"})]


def test_an_unfreezable_kwarg_fails_at_the_call_site() -> None:
    @miniagent
    async def needs_client(ctx: InteractionContext, client: Any) -> None:
        del ctx, client

    with pytest.raises(UnfreezableValueError, match="client"):
        needs_client.trigger(client=object())


def test_the_0_0_x_text_form_still_works() -> None:
    assert str(Message(text="hi")) == "hi"
    templated = Message(text_template="Hi {name}", name="Ann")
    assert str(templated) == "Hi Ann"
    assert templated.serialize()["text"] == "Hi Ann"
    assert Message.from_data(templated.to_data()) == templated
    assert "text" not in Message(kind="x").serialize()


async def test_a_hand_fed_message_sequence_flattens_in_order_and_keeps_its_error() -> None:
    async with MiniAgents():
        outer = MessageSequence(appender_capture_errors=True)
        inner = MessageSequence(appender_capture_errors=True)
        with outer.message_appender:
            outer.message_appender.append("one")
            with inner.message_appender:
                inner.message_appender.append(["two", {"kind": "three"}])
                raise ValueError("inner broke")
            outer.message_appender.append(inner.sequence_promise)
            outer.message_appender.append(TextMessage.promise("four"))

        seen: list[str] = []
        replies = aiter(outer.sequence_promise)
        while True:
            try:
                promise = await anext(replies)
            except StopAsyncIteration:
                break
            except ValueError as error:
                seen.append(f"error: {error}")
                continue
            seen.append(str(await promise))
    assert seen == [
        "one",
        "two",
        '```json\n{"class_":"Message","kind":"three"}\n```',
        "error: inner broke",
        "four",
    ]


def test_an_empty_message_is_still_truthy() -> None:
    empty = Message()
    assert len(empty) == 0
    assert empty
