"""The agents layer: @agent, inquire, fork, nesting, errors, full duplex, persistence hooks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from ramify.core import (
    AWAIT,
    ErrorMessage,
    InteractionContext,
    Message,
    Ramify,
    UnfreezableValueError,
    agent,
    agent_loop,
)
from ramify.core.agents import default_alias


async def texts(sequence: object) -> list[str]:
    return [str(message) for message in await sequence]  # type: ignore[attr-defined]


def test_default_alias_is_the_name_in_upper_snake_case() -> None:
    assert default_alias("anthropic_agent") == "ANTHROPIC_AGENT"
    assert default_alias("MarkdownHistoryAgent") == "MARKDOWN_HISTORY_AGENT"
    assert default_alias("OpenAIAgent") == "OPEN_AI_AGENT"


def test_agent_works_bare_and_with_arguments() -> None:
    @agent
    async def plain(ctx: InteractionContext) -> None: ...

    @agent(alias="CUSTOM", description="does {AGENT_ALIAS} things", level=3)
    async def configured(ctx: InteractionContext, level: int) -> None: ...

    assert plain.alias == "PLAIN"
    assert configured.alias == "CUSTOM"
    assert configured.description == "does CUSTOM things"
    assert configured.params["level"] == 3


def test_non_async_function_is_refused() -> None:
    def not_async(ctx: InteractionContext) -> None: ...

    with pytest.raises(TypeError, match="async def"):
        agent(not_async)


async def test_unfreezable_kwarg_fails_at_the_call_site() -> None:
    @agent
    async def takes(ctx: InteractionContext, thing: object) -> None: ...

    async with Ramify():
        with pytest.raises(UnfreezableValueError, match=r"TAKES\(thing=\.\.\.\)"):
            takes.inquire(thing={1, 2})


async def test_fork_merges_kwargs_and_call_time_kwargs_win() -> None:
    @agent(greeting="hello", punctuation="!")
    async def greeter(ctx: InteractionContext, greeting: str, punctuation: str, name: str) -> None:
        ctx.reply(f"{greeting} {name}{punctuation}")

    polite = greeter.fork(greeting="good day")
    async with Ramify():
        assert await texts(polite.inquire(name="Ada")) == ["good day Ada!"]
        assert await texts(polite.inquire(name="Ada", greeting="hi")) == ["hi Ada!"]
        assert await texts(greeter.inquire(name="Bo")) == ["hello Bo!"]
    assert polite.fingerprint() != greeter.fingerprint()


async def test_non_freezable_kwargs_reach_the_function_and_stay_out_of_the_fingerprint() -> None:
    class Client:
        def answer(self) -> str:
            return "live"

    @agent
    async def uses_client(ctx: InteractionContext, client: Client) -> None:
        ctx.reply(client.answer())

    with_client = uses_client.fork(non_freezable_kwargs={"client": Client()})
    async with Ramify():
        assert await texts(with_client.inquire()) == ["live"]
    assert with_client.fingerprint() == uses_client.fingerprint()


async def test_class_based_agent_is_instantiated_per_call() -> None:
    @agent
    class Shouter:
        def __init__(self, ctx: InteractionContext, suffix: str = "!") -> None:
            self.ctx = ctx
            self.suffix = suffix

        async def __call__(self) -> None:
            async for promise in self.ctx.message_promises:
                self.ctx.reply(str(await promise).upper() + self.suffix)

    async with Ramify():
        assert await texts(Shouter.inquire(["hi", "there"], suffix="?")) == ["HI?", "THERE?"]


async def test_agents_interleave_start_start_end_end() -> None:
    log: list[str] = []
    started = {"ONE": asyncio.Event(), "TWO": asyncio.Event()}

    @agent(alias="ONE")
    async def one(ctx: InteractionContext) -> None:
        log.append("one start")
        started["ONE"].set()
        await started["TWO"].wait()
        log.append("one end")

    @agent(alias="TWO")
    async def two(ctx: InteractionContext) -> None:
        log.append("two start")
        started["TWO"].set()
        await started["ONE"].wait()
        log.append("two end")

    async with Ramify():
        first, second = one.inquire(), two.inquire()
        await first
        await second
    assert log[:2] == ["one start", "two start"]
    assert sorted(log[2:]) == ["one end", "two end"]


def _nested_agents(release: asyncio.Event, fail_deepest: bool) -> object:
    @agent(alias="D")
    async def level_d(ctx: InteractionContext) -> None:
        await release.wait()
        ctx.reply("D-1")
        if fail_deepest:
            raise ValueError("deepest failed")
        ctx.reply("D-2")

    def wrap(name: str, inner: object) -> object:
        @agent(alias=name)
        async def level(ctx: InteractionContext) -> None:
            ctx.reply(f"{name}-1")
            ctx.reply(inner.inquire())  # type: ignore[attr-defined]
            ctx.reply_out_of_order(f"{name}-oo")
            ctx.reply(f"{name}-2")

        return level

    return wrap("A", wrap("B", wrap("C", level_d)))


async def _consume(sequence: object, release: asyncio.Event) -> list[str]:
    seen: list[str] = []
    iterator = sequence.__aiter__()  # type: ignore[attr-defined]
    while True:
        try:
            promise = await iterator.__anext__()
        except StopAsyncIteration:
            return seen
        except ValueError as error:
            seen.append(f"raised {error}")
            continue
        message = await promise
        seen.append(
            f"error {message.error_text}" if isinstance(message, ErrorMessage) else str(message)
        )
        if {"A-oo", "B-oo", "C-oo"} <= set(seen):
            # The deepest agent only speaks once every out-of-order reply has overtaken it.
            release.set()


async def test_ordered_and_out_of_order_replies_across_four_nesting_levels() -> None:
    release = asyncio.Event()
    outer = _nested_agents(release, fail_deepest=False)
    async with Ramify():
        seen = await _consume(outer.inquire(), release)  # type: ignore[attr-defined]
    ordered = [item for item in seen if not item.endswith("-oo")]
    assert ordered == ["A-1", "B-1", "C-1", "D-1", "D-2", "C-2", "B-2", "A-2"]
    assert seen.index("A-oo") < seen.index("D-1")
    assert seen.index("B-oo") < seen.index("D-1")
    assert seen.index("C-oo") < seen.index("D-1")


@pytest.mark.parametrize("errors_as_messages", [False, True])
async def test_exception_in_the_deepest_agent_keeps_its_position_and_loses_nothing(
    errors_as_messages: bool,
) -> None:
    release = asyncio.Event()
    outer = _nested_agents(release, fail_deepest=True)
    async with Ramify(errors_as_messages=errors_as_messages):
        seen = await _consume(outer.inquire(), release)  # type: ignore[attr-defined]
    marker = "error deepest failed" if errors_as_messages else "raised deepest failed"
    ordered = [item for item in seen if not item.endswith("-oo")]
    assert ordered == ["A-1", "B-1", "C-1", "D-1", marker, "C-2", "B-2", "A-2"]
    assert {"A-oo", "B-oo", "C-oo"} <= set(seen)


async def test_full_duplex_call_sends_reads_and_sends_again() -> None:
    @agent
    async def echo(ctx: InteractionContext) -> None:
        async for promise in ctx.message_promises:
            ctx.reply(f"echo {await promise}")

    async with Ramify():
        call = echo.call()
        replies = call.reply_sequence(finish=False)
        iterator = replies.__aiter__()
        call.send("a")
        assert str(await (await iterator.__anext__())) == "echo a"
        call.send("b")
        assert str(await (await iterator.__anext__())) == "echo b"
        call.finish()
        with pytest.raises(StopAsyncIteration):
            await iterator.__anext__()


async def test_a_call_left_open_outside_any_agent_is_finished_at_exit() -> None:
    seen: list[str] = []
    after_input = asyncio.Event()

    @agent
    async def reader(ctx: InteractionContext) -> None:
        async for promise in ctx.message_promises:
            seen.append(str(await promise))
        after_input.set()

    # A long shutdown timeout: the agent must end because its input ends, not because the
    # runtime gave up on it and cancelled it.
    async with Ramify(shutdown_timeout=60):
        call = reader.call()
        call.send("only message")
    assert after_input.is_set()
    assert seen == ["only message"]
    assert call.is_finished


async def test_message_promise_carries_the_producing_agent_alias_before_its_first_token() -> None:
    gate = asyncio.Event()

    @agent
    async def inner_writer(ctx: InteractionContext) -> None:
        async def tokens():  # type: ignore[no-untyped-def]
            await gate.wait()
            yield "late"

        from ramify.core import MessagePromise

        ctx.reply(MessagePromise(tokens()))

    @agent
    async def outer_writer(ctx: InteractionContext) -> None:
        ctx.reply(inner_writer.inquire())

    async with Ramify():
        replies = outer_writer.inquire()
        promise = await replies.__aiter__().__anext__()
        assert promise.agent_alias == "INNER_WRITER"
        assert not promise.done()
        gate.set()
        assert str(await promise) == "late"


async def test_persist_handler_runs_exactly_once_per_message_hash() -> None:
    runtime = Ramify()
    persisted: list[str] = []

    @runtime.on_persist_message
    async def persist(message: Message) -> None:
        persisted.append(message.hash_key)

    @agent
    async def repeater(ctx: InteractionContext) -> None:
        ctx.reply(["same", "same", Message(text="same"), "other"])

    async with runtime:
        await repeater.inquire()
        await repeater.inquire()
    assert sorted(persisted) == sorted(
        {Message(text="same").hash_key, Message(text="other").hash_key}
    )


def test_persist_handler_must_be_async() -> None:
    with pytest.raises(TypeError, match="async def"):
        Ramify().on_persist_message(lambda message: None)  # type: ignore[arg-type,return-value]


async def test_agent_loop_refuses_a_loop_without_await() -> None:
    @agent
    async def noop(ctx: InteractionContext) -> None: ...

    async with Ramify():
        with pytest.raises(ValueError, match="AWAIT"):
            await agent_loop.inquire(agents=[noop, noop])


def test_keyboard_interrupt_ends_agent_loop_and_reaches_the_caller() -> None:
    turns: list[str] = []

    @agent
    async def user(ctx: InteractionContext) -> None:
        turns.append("user")
        if len(turns) > 4:
            raise KeyboardInterrupt
        ctx.reply("next")

    @agent
    async def bot(ctx: InteractionContext) -> None:
        turns.append("bot")
        ctx.reply(await ctx.message_promises)

    async def main() -> None:
        await agent_loop.inquire(agents=[user, AWAIT, bot])

    with pytest.raises(KeyboardInterrupt):
        Ramify(shutdown_timeout=1.0).run(main())
    assert turns == ["user", "bot", "user", "bot", "user"]


DIALOG_SCRIPT = """
from ramify.core import InteractionContext, Ramify, agent, dialog_loop


@agent
async def echo(ctx: InteractionContext) -> None:
    messages = await ctx.message_promises
    ctx.reply(f"echo: {messages[-1].text}")


async def main() -> None:
    await dialog_loop.inquire(assistant_agent=echo)
    print("after the dialog", flush=True)


Ramify().run(main())
"""


def test_typing_exit_in_a_console_dialog_ends_it_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "dialog.py"
    script.write_text(DIALOG_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script)],
        input="hello\nexit\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "ECHO: echo: hello" in result.stdout
    assert result.stdout.rstrip().endswith("after the dialog")


def test_agent_loop_without_raising_ends_quietly_on_keyboard_interrupt() -> None:
    turns: list[str] = []

    @agent
    async def user(ctx: InteractionContext) -> None:
        turns.append("user")
        if len(turns) > 2:
            raise KeyboardInterrupt
        ctx.reply("next")

    @agent
    async def bot(ctx: InteractionContext) -> None:
        turns.append("bot")
        ctx.reply(await ctx.message_promises)

    async def main() -> str:
        await agent_loop.inquire(agents=[user, AWAIT, bot], raise_keyboard_interrupt=False)
        return "the loop returned"

    try:
        outcome = Ramify(shutdown_timeout=1.0).run(main())
    except KeyboardInterrupt:
        pytest.fail("the interrupt left the event loop though the loop was told to keep it")
    assert outcome == "the loop returned"
    assert turns == ["user", "bot", "user"]


async def test_cancel_stops_the_agent_and_runs_its_finally() -> None:
    entered, cleaned = asyncio.Event(), asyncio.Event()

    @agent
    async def forever(ctx: InteractionContext) -> None:
        try:
            entered.set()
            await asyncio.Event().wait()
        finally:
            cleaned.set()

    async with Ramify():
        replies = forever.inquire()
        await entered.wait()
        replies.cancel()
        await asyncio.wait_for(cleaned.wait(), timeout=5)
        with pytest.raises(asyncio.CancelledError):
            await replies
