"""Textual's interval timers after a pause: what `ramify.tui.timer_fix` changes, on a clock the
test moves by hand (no wall-clock time is involved)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from types import SimpleNamespace
from typing import Any

import pytest
import textual
from textual import _time
from textual import timer as textual_timer
from textual._context import active_app
from textual.timer import Timer

from ramify.tui import timer_fix


class VirtualClock:
    """Time moves only when the test moves it; a sleeper wakes once it passes its deadline."""

    def __init__(self) -> None:
        self.now = 0.0
        self.deadlines: list[float] = []
        self._changed = asyncio.Condition()

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        deadline = self.now + seconds
        async with self._changed:
            self.deadlines.append(deadline)
            self._changed.notify_all()
            await self._changed.wait_for(lambda: self.now >= deadline)

    async def advance(self, to: float) -> None:
        async with self._changed:
            self.now = to
            self._changed.notify_all()

    async def sleepers(self, count: int) -> None:
        """Until the timer has gone to sleep `count` times in all."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.deadlines) >= count)


class Target:
    """A timer holds its target weakly; nothing is posted to it (the timer has a callback)."""


def test_the_fix_is_made_for_the_pinned_textual() -> None:
    # On a Textual bump: run this file's tests against the new `Timer._run`; when Textual's own
    # loop ticks on the grid after a pause, drop the fix, else move FIXED_VERSION.
    assert textual.__version__ == timer_fix.FIXED_VERSION


@pytest.mark.parametrize(
    ("loop", "next_tick"),
    [(timer_fix.TEXTUAL_RUN, 0.6), (timer_fix._run, 0.5)],
    ids=["textual skips a tick", "fixed"],
)
async def test_after_a_tick_on_resume_the_next_tick_is_the_next_one_on_the_grid(
    monkeypatch: pytest.MonkeyPatch,
    loop: Callable[[Timer], Coroutine[Any, Any, None]],
    next_tick: float,
) -> None:
    clock = VirtualClock()
    monkeypatch.setattr(_time, "get_time", clock.time)
    monkeypatch.setattr(_time, "sleep", clock.sleep)
    monkeypatch.setattr(textual_timer, "sleep", clock.sleep)
    monkeypatch.setattr(Timer, "_run", loop)
    ticks: list[float] = []
    ticked = asyncio.Event()

    def tick() -> None:  # as the screen's update timer does: draw, then pause
        ticks.append(clock.now)
        timer.pause()
        ticked.set()

    async def next_tick_time() -> float:
        await ticked.wait()
        ticked.clear()
        return ticks[-1]

    # A 0.1 s grid from t=0, like the screen's 1/60 s one.
    target = Target()
    timer = Timer(target, 0.1, callback=tick, pause=True)
    errors: list[BaseException] = []
    active_app.set(
        SimpleNamespace(_exit=False, _handle_exception=errors.append, features=frozenset())
    )  # type: ignore[arg-type]
    timer._start()
    try:
        timer.resume()
        await clock.sleepers(1)
        await clock.advance(0.1)
        assert await next_tick_time() == pytest.approx(0.1)

        # Paused a while (no refresh), then resumed at 0.433: the tick comes at once...
        await clock.sleepers(2)
        await clock.advance(0.433)
        timer.resume()
        assert await next_tick_time() == pytest.approx(0.433)

        # ...and the next one is due at the next grid point, 0.5; Textual waits until 0.6.
        await clock.sleepers(3)
        assert clock.deadlines[-1] == pytest.approx(next_tick)
        timer.resume()
        await clock.advance(clock.deadlines[-1])
        assert await next_tick_time() == pytest.approx(next_tick)
    finally:
        timer.stop()
    assert errors == []


def test_the_app_puts_the_fixed_loop_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    from ramify.core import MemoryStore
    from ramify.tui.app import RamifyApp

    monkeypatch.setattr(Timer, "_run", timer_fix.TEXTUAL_RUN)

    async def never_opened(store: object) -> None:
        raise AssertionError("the app is only constructed here")

    RamifyApp(MemoryStore(), never_opened)  # type: ignore[arg-type]
    assert Timer._run is timer_fix._run
