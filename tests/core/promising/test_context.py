"""PromisingContext: bounded shutdown, logging, top-level interrupts, independent contexts."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from ramify.core.promising import (
    MessageSequencePromise,
    NoActiveContextError,
    PromisingContext,
    ReplyChannel,
)


async def test_bounded_shutdown_cancels_a_never_ending_producer_and_names_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    finally_ran = asyncio.Event()
    running = asyncio.Event()

    async def never_ends(channel: ReplyChannel) -> None:
        try:
            running.set()
            await asyncio.Event().wait()
        finally:
            finally_ran.set()

    caplog.set_level(logging.WARNING, logger="ramify.promising")
    context = PromisingContext(shutdown_timeout=0.05)
    async with context:
        sequence = MessageSequencePromise(never_ends, name="NEVER_ENDING_AGENT")
        await asyncio.wait_for(running.wait(), timeout=5)
    assert finally_ran.is_set()
    assert sequence.cancelled()
    records = [r for r in caplog.records if r.name.startswith("ramify.promising")]
    assert any("NEVER_ENDING_AGENT" in r.getMessage() for r in records)


async def test_shutdown_waits_for_producers_that_finish() -> None:
    async with PromisingContext(shutdown_timeout=5):
        sequence = MessageSequencePromise.of(["a", "b"])
    assert sequence.done()
    assert not sequence.cancelled()


def _run_with_unconsumed_interrupt(error: BaseException) -> None:
    async def main() -> None:
        async with PromisingContext(shutdown_timeout=1):

            async def agent(channel: ReplyChannel) -> None:
                channel.reply("before")
                raise error

            MessageSequencePromise(agent, name="INTERRUPTED")
            await asyncio.Event().wait()

    asyncio.run(main())


@pytest.mark.timeout(10)
@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(3)], ids=repr)
def test_interrupts_reach_the_top_level_with_nobody_consuming(error: BaseException) -> None:
    with pytest.raises(type(error)):
        _run_with_unconsumed_interrupt(error)


async def test_unconsumed_failure_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ramify.promising")

    failed = asyncio.Event()

    async def agent(channel: ReplyChannel) -> None:
        failed.set()
        raise ValueError("nobody listens")

    async with PromisingContext(errors_as_messages=False):
        sequence = MessageSequencePromise(agent, name="LONELY")
        await asyncio.wait_for(failed.wait(), timeout=5)
        await asyncio.sleep(0)
        assert sequence.done()
        del sequence
        gc.collect()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "LONELY" in errors[0].getMessage()


async def test_handled_failure_is_not_logged_at_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ramify.promising")

    async def agent(channel: ReplyChannel) -> None:
        raise ValueError("handled")

    async with PromisingContext():
        sequence = MessageSequencePromise(agent)
        with pytest.raises(ValueError, match="handled"):
            await sequence
        del sequence
        gc.collect()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_independent_contexts_keep_their_own_defaults() -> None:
    async def inside(context: PromisingContext, barrier: asyncio.Barrier) -> bool:
        async with context:
            await barrier.wait()
            assert PromisingContext.current() is context
            sequence = MessageSequencePromise.of("x")
            await sequence
            return sequence._context is context

    first = PromisingContext(errors_as_messages=True)
    second = PromisingContext(start_asap=False)
    barrier = asyncio.Barrier(2)
    results = await asyncio.gather(inside(first, barrier), inside(second, barrier))
    assert results == [True, True]
    with pytest.raises(NoActiveContextError):
        PromisingContext.current()


async def test_activate_and_aclose_for_long_lived_apps() -> None:
    context = PromisingContext().activate()
    try:
        assert PromisingContext.current() is context
        assert str((await MessageSequencePromise.of("hi"))[0]) == "hi"
    finally:
        await context.aclose()
    assert PromisingContext.current_or_none() is None
