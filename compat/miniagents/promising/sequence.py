"""MiniAgents' `FlatSequence`: each incoming item turned into zero or more outgoing pieces."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, Generic, TypeVar

from .promising import StreamAppender, StreamedPromise
from .sentinels import NO_VALUE, Sentinel

__all__ = ["FlatSequence"]

IN = TypeVar("IN")
OUT = TypeVar("OUT")


class FlatSequence(Generic[IN, OUT]):
    """``sequence_promise`` streams ``flattener(self, item)``'s pieces for every item of
    `incoming_streamer` (a `StreamAppender` or an async iterable), in order."""

    def __init__(
        self,
        incoming_streamer: StreamAppender[IN] | AsyncIterable[IN],
        *,
        flattener: Callable[[Any, IN], AsyncIterable[OUT]],
        start_soon: bool | Sentinel = NO_VALUE,
    ) -> None:
        async def flattened(_promise: Any) -> AsyncIterator[OUT]:
            items: AsyncIterable[IN] = (
                incoming_streamer._stream()
                if isinstance(incoming_streamer, StreamAppender)
                else incoming_streamer
            )
            async for item in items:
                async for piece in flattener(self, item):
                    yield piece

        self.sequence_promise = StreamedPromise(streamer=flattened, start_soon=start_soon)
