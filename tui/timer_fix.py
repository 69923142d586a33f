"""Interval timers that tick on time after a pause: a one-term fix to Textual's `Timer._run`.

Textual redraws the screen from a paused interval timer (60 per second) that each refresh
resumes. After a pause the first tick comes at once, as it should, but the skip-ahead that
follows counts one period too many, so the next tick lands a whole period late: a frame that
follows another waited 17-33 ms instead of at most 17. Keys typed while agents stream and a reply
settling just after a frame both waited on it (measured in `benchmarks/tui_bench.py`).

The loop below is Textual 8.2.8's `Timer._run` with that one term changed, so it is applied to
that version only; `tests/tui/test_timer_fix.py` fails when the pin moves, to have it re-checked.
"""

from __future__ import annotations

import textual
from textual import _time
from textual.timer import EventTargetGone, Timer

FIXED_VERSION = "8.2.8"
"""The Textual release whose `Timer._run` this replaces."""

TEXTUAL_RUN = Timer._run
"""Textual's own loop, kept for the test that shows what the fix changes."""


async def _run(self: Timer) -> None:
    count = 0
    repeat = self._repeat
    interval = self._interval
    self._active  # noqa: B018 - Textual creates the event here, in the timer's own thread
    await self._active.wait()
    start = _time.get_time()

    while repeat is None or count <= repeat:
        next_timer = start + ((count + 1) * interval)
        now = _time.get_time()
        if self._skip and next_timer < now:
            # Whole periods elapsed; the next tick is the first one still ahead. (Textual adds
            # one here, skipping a tick that is still ahead.)
            count = int((now - start) / interval)
            continue
        await _time.sleep(max(0, next_timer - _time.get_time()))
        count += 1
        await self._active.wait()
        if self._reset:
            start = _time.get_time()
            count = 0
            self._reset = False
            continue
        try:
            await self._tick(next_timer=next_timer, count=count)
        except EventTargetGone:
            break


def apply() -> bool:
    """Use the fixed loop for every Textual timer; False (and nothing changed) on another
    Textual release."""
    if textual.__version__ != FIXED_VERSION:
        return False
    Timer._run = _run  # type: ignore[method-assign]
    return True
