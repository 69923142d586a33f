"""A live pane's header: fitted to its width with tok/s always whole, elapsed time, cost."""

from __future__ import annotations

import asyncio

import pytest

import ramify.tui.widgets.stream_pane as stream_pane_module
from ramify.tui.view_models import MessageStatus, PaneState
from ramify.tui.widgets.stream_pane import StreamPane, pane_header
from tests.tui.hosts import HostApp

pytestmark = pytest.mark.timeout(30)

STREAMING = PaneState(
    "ANALYST", "gpt-4o-mini-2024-07-18", tokens=42, tokens_per_second=12.5, elapsed=75.0,
    cost=0.0123,
)  # fmt: skip


class Clock:
    """A monotonic clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 500.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(stream_pane_module, "time", fake)
    return fake


def test_a_wide_header_shows_every_figure() -> None:
    text = pane_header(STREAMING, 100).plain
    assert text == (
        "ANALYST  gpt-4o-mini-2024-07-18  42 tok  12.5 tok/s  1m15s  ~$0.0123  streaming"
    )


def test_the_model_name_goes_first_when_the_header_is_too_wide() -> None:
    text = pane_header(STREAMING, 60).plain
    assert "gpt-4o" not in text
    for figure in ("12.5 tok/s", "1m15s", "~$0.0123"):
        assert figure in text


@pytest.mark.parametrize("width", range(13, 90))  # 13: one letter of alias, the rate
def test_the_rate_is_never_cut_at_any_width(width: int) -> None:
    text = pane_header(STREAMING, width).plain
    assert "12.5 tok/s" in text
    assert len(text) <= width
    assert text.startswith("A")


def test_a_wide_character_alias_is_cut_by_cells_not_characters() -> None:
    text = pane_header(PaneState("分析者分析者分析者", tokens=1, tokens_per_second=2.0), 20)
    assert text.cell_len <= 20
    assert "2.0 tok/s" in text.plain
    assert text.plain.startswith("分析")


def test_before_the_first_token_the_header_says_connecting() -> None:
    text = pane_header(PaneState("WRITER", elapsed=2.4), 40).plain
    assert "connecting…" in text
    assert "tok/s" not in text
    assert "2s" in text


def test_no_cost_shows_when_the_price_is_unknown() -> None:
    text = pane_header(PaneState("WRITER", tokens=3, tokens_per_second=1.0), 80).plain
    assert "$" not in text


async def test_elapsed_time_moves_on_while_no_token_arrives(clock: Clock) -> None:
    app = HostApp(lambda: StreamPane("writer", key="k"))
    async with app.run_host(size=(60, 10)) as pilot:
        pane = app.query_one(StreamPane)
        await pilot.pause()
        assert "0s" in str(pane.header.render())
        clock.now += 3.2
        async with asyncio.timeout(5):
            while "3s" not in str(pane.header.render()):
                await pilot.pause(0.05)  # the pane's own 50 ms timer must get there
        assert pane.state.tokens == 0
        await pane.finish(MessageStatus.DONE)
        clock.now += 10
        assert pane.state.elapsed == pytest.approx(3.2)  # stopped when the reply ended


async def test_a_pane_with_a_price_shows_the_cost_of_its_tokens(clock: Clock) -> None:
    app = HostApp(lambda: StreamPane("writer", key="k", output_price=1000.0))
    async with app.run_host(size=(80, 10)) as pilot:
        pane = app.query_one(StreamPane)
        for token in ("a", "b", "c"):
            clock.now += 0.5
            pane.add_tokens(token)
        async with asyncio.timeout(5):
            while pane.header.state.tokens != 3:
                await pilot.pause(0.05)
        assert pane.state.cost == pytest.approx(3 * 1000.0 / 1_000_000)
        assert "~$0.0030" in str(pane.header.render())
