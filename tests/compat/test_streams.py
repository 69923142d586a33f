"""MiniAgents' generic stream layer: `StreamAppender`, `StreamedPromise`, `FlatSequence`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ramify.compat.miniagents.promising.promising import (
    PromisingContext,
    StreamAppender,
    StreamedPromise,
)
from ramify.compat.miniagents.promising.sequence import FlatSequence


async def _collect(stream: StreamedPromise) -> list[Any]:
    pieces: list[Any] = []
    iterator = aiter(stream)
    while True:
        try:
            pieces.append(await anext(iterator))
        except StopAsyncIteration:
            return pieces
        except ValueError as error:
            pieces.append(f"error: {error}")


def _append_then_fail(appender: StreamAppender[int], piece: int, error: str) -> None:
    with appender:
        appender.append(piece)
        raise ValueError(error)


async def test_a_captured_error_ends_the_stream_and_an_uncaptured_one_goes_on() -> None:
    async with PromisingContext():
        with StreamAppender(capture_errors=True) as captured:
            captured.append(1)
            raise ValueError("kept")
        passed_on = StreamAppender[int]()
        with pytest.raises(ValueError, match="raised"):
            _append_then_fail(passed_on, 2, "raised")

        assert await _collect(StreamedPromise(streamer=captured)) == [1, "error: kept"]
        assert await _collect(StreamedPromise(streamer=passed_on)) == [2]


async def test_the_resolver_runs_once_on_the_replayed_stream() -> None:
    calls: list[int] = []

    async def numbers(_promise: StreamedPromise) -> AsyncIterator[int]:
        for number in (1, 2, 3):
            yield number

    async def total(promise: StreamedPromise) -> int:
        calls.append(1)
        return sum([number async for number in promise])

    async with PromisingContext():
        promise = StreamedPromise(streamer=numbers, resolver=total)
        assert (await promise, await promise) == (6, 6)
        assert [number async for number in promise] == [1, 2, 3]
    assert calls == [1]


async def test_a_flat_sequence_flattens_in_order() -> None:
    async def repeat(_sequence: Any, number: int) -> AsyncIterator[int]:
        for _ in range(number):
            yield number

    async with PromisingContext():
        with StreamAppender[int]() as numbers:
            for number in (0, 2, 1):
                numbers.append(number)
        flat = FlatSequence[int, int](numbers, flattener=repeat)
        assert await flat.sequence_promise == (2, 2, 1)
