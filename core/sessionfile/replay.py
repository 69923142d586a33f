"""Play a recorded message back at the pace it streamed (see `Run.timings`)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

from ..runs import decode_timings

__all__ = ["DEFAULT_PACE", "replay_chunks", "replay_stream"]

DEFAULT_PACE = (4, 16)
"""Characters per step and milliseconds between steps when nothing was recorded."""


def replay_chunks(
    text: str,
    timings: str | None = None,
    *,
    pace: float = 1.0,
    max_delay: float | None = None,
) -> list[tuple[float, str]]:
    """`text` cut into ``(delay in seconds before it, chunk)`` pairs, as it streamed.

    Args:
        timings: the message's entry in `Run.timings`; None or "" plays at `DEFAULT_PACE`.
            Text beyond what the timings cover plays at the default pace.
        pace: a speed factor: 2.0 plays twice as fast.
        max_delay: cap each pause (a long tool call need not be waited out again).

    Raises `ValueError` for a pace that is not positive or malformed timings.
    """
    if not (math.isfinite(pace) and pace > 0):
        raise ValueError(f"pace must be a positive number, got {pace!r}")
    steps = decode_timings(timings or "")
    chunks: list[tuple[float, str]] = []
    position = 0

    def add(chars: int, ms: int) -> None:
        nonlocal position
        delay = ms / 1000 / pace
        if max_delay is not None:
            delay = min(delay, max_delay)
        chunks.append((delay, text[position : position + chars]))
        position += chars

    for chars, ms in steps:
        if position >= len(text):
            break
        if chars:
            add(chars, ms)
    chars, ms = DEFAULT_PACE
    while position < len(text):
        add(chars, ms)
    return chunks


async def replay_stream(
    text: str,
    timings: str | None = None,
    *,
    pace: float = 1.0,
    max_delay: float | None = None,
) -> AsyncIterator[str]:
    """Yield the chunks of `replay_chunks`, each after its delay."""
    for delay, chunk in replay_chunks(text, timings, pace=pace, max_delay=max_delay):
        if delay > 0:
            await asyncio.sleep(delay)
        yield chunk
