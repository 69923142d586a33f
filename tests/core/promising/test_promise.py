"""Promise and StreamedPromise: resolve once, replay, malformed producers, lazy start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ramify.core.promising import MalformedProducerError, Promise, StreamedPromise


async def test_promise_gives_every_awaiter_the_same_result_object() -> None:
    calls = 0

    async def resolver() -> list[int]:
        nonlocal calls
        calls += 1
        return [1, 2]

    promise = Promise(resolver)
    first, second = await asyncio.gather(promise, promise)
    assert first is second
    assert await promise is first
    assert calls == 1


async def test_promise_raises_the_same_exception_instance_on_every_await() -> None:
    async def resolver() -> int:
        raise ValueError("boom")

    promise: Promise[int] = Promise(resolver)
    errors = []
    for _ in range(3):
        with pytest.raises(ValueError, match="boom") as info:
            await promise
        errors.append(info.value)
    assert errors[0] is errors[1] is errors[2]


async def test_promise_resolved_from_outside() -> None:
    promise: Promise[str] = Promise()
    waiter = asyncio.ensure_future(promise)
    await asyncio.sleep(0)
    promise.set_result("done")
    assert await waiter == "done"
    assert promise.result() == "done"
    with pytest.raises(asyncio.InvalidStateError):
        promise.set_result("again")


async def test_streamed_promise_replays_to_two_consumers_with_one_producer_run() -> None:
    runs = 0
    release = asyncio.Event()

    async def producer() -> AsyncIterator[int]:
        nonlocal runs
        runs += 1
        yield 1
        await release.wait()
        yield 2
        yield 3

    stream: StreamedPromise[int, tuple[int, ...]] = StreamedPromise(producer)

    async def consume() -> list[int]:
        return [piece async for piece in stream]

    early = asyncio.ensure_future(consume())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    release.set()
    late = asyncio.ensure_future(consume())
    assert await early == [1, 2, 3]
    assert await late == [1, 2, 3]
    assert [piece async for piece in stream] == [1, 2, 3]
    assert await stream == (1, 2, 3)
    assert runs == 1


async def test_streamed_error_is_met_by_every_consumer_at_its_position() -> None:
    async def producer() -> AsyncIterator[str]:
        yield "a"
        yield "b"
        raise KeyError("at three")

    stream: StreamedPromise[str, tuple[str, ...]] = StreamedPromise(producer())
    for _ in range(2):
        iterator = stream.__aiter__()
        assert [await iterator.__anext__(), await iterator.__anext__()] == ["a", "b"]
        with pytest.raises(KeyError) as info:
            await iterator.__anext__()
    with pytest.raises(KeyError) as whole_info:
        await stream
    assert whole_info.value is info.value


@pytest.mark.timeout(5)
async def test_sync_generator_producer_fails_fast_at_construction() -> None:
    def sync_gen():  # type: ignore[no-untyped-def]
        yield "x"

    with pytest.raises(MalformedProducerError):
        StreamedPromise(sync_gen())  # type: ignore[arg-type]


@pytest.mark.timeout(5)
@pytest.mark.parametrize(
    "factory",
    [
        lambda: iter(["x"]),  # sync iterator
        lambda: 42,  # not iterable at all
    ],
    ids=["sync-iterator", "not-iterable"],
)
async def test_callable_returning_a_non_async_iterable_fails_fast(factory: object) -> None:
    stream: StreamedPromise[str, tuple[str, ...]] = StreamedPromise(factory)  # type: ignore[arg-type]
    with pytest.raises(MalformedProducerError):
        async for _ in stream:
            pass
    with pytest.raises(MalformedProducerError):
        await stream


@pytest.mark.timeout(5)
async def test_coroutine_function_producer_fails_fast_without_warning() -> None:
    async def not_a_generator() -> str:
        return "x"

    stream: StreamedPromise[str, tuple[str, ...]] = StreamedPromise(not_a_generator)  # type: ignore[arg-type]
    with pytest.raises(MalformedProducerError):
        await stream


async def test_start_asap_runs_producer_without_any_consumer() -> None:
    started = asyncio.Event()

    async def producer() -> AsyncIterator[int]:
        started.set()
        yield 1

    stream: StreamedPromise[int, tuple[int, ...]] = StreamedPromise(producer)
    assert not started.is_set()
    await asyncio.wait_for(started.wait(), timeout=5)
    assert stream is not None


async def test_lazy_producer_starts_only_when_first_consumed() -> None:
    started = asyncio.Event()

    async def producer() -> AsyncIterator[int]:
        started.set()
        yield 1

    stream: StreamedPromise[int, tuple[int, ...]] = StreamedPromise(producer, start_asap=False)
    for _ in range(5):
        await asyncio.sleep(0)
    assert not started.is_set()
    assert await stream == (1,)
    assert started.is_set()


async def test_lazy_promise_resolver_runs_on_first_await() -> None:
    ran = asyncio.Event()

    async def resolver() -> str:
        ran.set()
        return "ok"

    promise = Promise(resolver, start_asap=False)
    for _ in range(5):
        await asyncio.sleep(0)
    assert not ran.is_set()
    assert await promise == "ok"


async def test_streamed_promise_failing_resolver_runs_once_and_reraises_the_same_error() -> None:
    calls = 0

    async def pieces() -> AsyncIterator[int]:
        yield 1

    def resolver(items: object) -> int:
        nonlocal calls
        calls += 1
        raise ValueError(f"bad whole #{calls}")

    promise: StreamedPromise[int, int] = StreamedPromise(pieces(), resolver=resolver)
    errors = []
    for _ in range(3):
        with pytest.raises(ValueError, match="bad whole #1") as info:
            await promise
        errors.append(info.value)
    assert calls == 1
    assert errors[0] is errors[1] is errors[2]
