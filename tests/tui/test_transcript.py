"""Transcript windowing: bounded widgets, nothing lost scrolling away and back, following."""

from __future__ import annotations

from textual.pilot import Pilot

from ramify.tui.view_models import MessageView
from ramify.tui.widgets.message_view import MessageWidget
from ramify.tui.widgets.transcript import Transcript
from tests.tui.hosts import HostApp

WIDGET_CEILING = 400


def make_views(count: int) -> list[MessageView]:
    return [
        MessageView(f"{i:08x}", "user" if i % 2 else "bot", "user" if i % 2 else "assistant",
                    f"message **{i}**\n\nline two")
        for i in range(count)
    ]  # fmt: skip


class Store:
    """Stands in for the controller: serves slices and counts the calls."""

    def __init__(self, views: list[MessageView]) -> None:
        self.views = views
        self.calls: list[tuple[int, int]] = []

    async def load(self, start: int, stop: int) -> list[MessageView]:
        self.calls.append((start, stop))
        return self.views[start:stop]


async def settle_pilot(pilot: Pilot[None], transcript: Transcript) -> None:
    """Wait, boundedly, until no page is being fetched or applied and the screen caught up."""
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not transcript.paging:
            await pilot.pause()
            return
    raise AssertionError("transcript never settled")


def check_window(transcript: Transcript, views: list[MessageView]) -> None:
    start, stop = transcript.window
    assert transcript.views == views[start:stop]
    assert stop - start <= transcript.window_size


async def test_10k_messages_stay_bounded_and_home_and_end_lose_nothing() -> None:
    views = make_views(10_000)
    store = Store(views)
    app = HostApp(lambda: Transcript(window=120, page=40))
    async with app.run_host(size=(100, 40)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.set_source(len(views), store.load)
        await settle_pilot(pilot, transcript)
        assert transcript.window == (10_000 - transcript.page, 10_000)  # one page at the end
        check_window(transcript, views)
        assert len(app.query("*")) <= WIDGET_CEILING
        assert transcript.is_following

        transcript.focus()
        await pilot.press("home")
        await settle_pilot(pilot, transcript)
        assert transcript.window[0] == 0
        check_window(transcript, views)
        assert len(app.query("*")) <= WIDGET_CEILING

        # Walk down page by page: every step extends contiguously and stays bounded.
        seen = list(transcript.views)
        for _ in range(6):
            transcript.scroll_end(animate=False, immediate=True)
            await settle_pilot(pilot, transcript)
            check_window(transcript, views)
            _start, _stop = transcript.window
            assert seen[-1] in transcript.views
            seen.extend(transcript.views[transcript.views.index(seen[-1]) + 1 :])
            assert len(app.query("*")) <= WIDGET_CEILING
        assert seen == views[: len(seen)]
        assert len(seen) > 200

        await pilot.press("end")
        await settle_pilot(pilot, transcript)
        assert transcript.window == (10_000 - transcript.page, 10_000)  # one page at the end
        check_window(transcript, views)
        assert transcript.is_following
        assert transcript.scroll_y == transcript.max_scroll_y


async def test_scrolling_to_the_top_and_back_sees_every_message_in_order() -> None:
    views = make_views(500)
    store = Store(views)
    app = HostApp(lambda: Transcript(window=60, page=20))
    async with app.run_host(size=(100, 30)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.set_source(len(views), store.load)
        await settle_pilot(pilot, transcript)
        seen_up = list(transcript.views)
        for _ in range(100):
            if transcript.window[0] == 0:
                break
            transcript.scroll_home(animate=False, immediate=True)
            await settle_pilot(pilot, transcript)
            check_window(transcript, views)
            current = transcript.views
            first_seen = current.index(seen_up[0])
            seen_up = current[:first_seen] + seen_up
            assert len(app.query("*")) <= WIDGET_CEILING
        assert seen_up == views

        seen_down = list(transcript.views)
        for _ in range(100):
            if transcript.window[1] == len(views):
                break
            transcript.scroll_end(animate=False, immediate=True)
            await settle_pilot(pilot, transcript)
            check_window(transcript, views)
            current = transcript.views
            seen_down += current[current.index(seen_down[-1]) + 1 :]
        assert seen_down == views


async def test_follow_stops_when_reader_scrolls_up_and_end_resumes() -> None:
    views = make_views(300)
    store = Store(views[:200])
    app = HostApp(lambda: Transcript(window=120, page=40))
    async with app.run_host(size=(100, 30)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.set_source(200, store.load)
        await settle_pilot(pilot, transcript)
        assert transcript.is_following
        await transcript.append(views[200])
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y
        assert transcript.views[-1] == views[200]

        transcript.focus()
        await pilot.press("pageup")
        await pilot.pause()
        assert not transcript.is_following
        held = transcript.scroll_y
        await transcript.append(views[201])
        await pilot.pause()
        assert transcript.scroll_y == held  # the reader's place is kept while content grows

        await pilot.press("end")
        await settle_pilot(pilot, transcript)
        assert transcript.is_following
        await transcript.append(views[202])
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y
        assert transcript.views[-1] == views[202]
        assert transcript.total == 203
        assert len(transcript.views) <= transcript.window_size


async def test_jump_to_index_and_select_highlight_one_message() -> None:
    views = make_views(1000)
    store = Store(views)
    app = HostApp(lambda: Transcript())
    async with app.run_host() as pilot:
        transcript = app.query_one(Transcript)
        transcript.set_source(len(views), store.load, at=500)
        await settle_pilot(pilot, transcript)
        check_window(transcript, views)
        start, stop = transcript.window
        assert start <= 500 < stop
        transcript.select(views[500].node_hash)
        selected = [w for w in transcript.query(MessageWidget) if w.selected]
        assert [w.view for w in selected] == [views[500]]


async def test_messages_settling_together_mount_one_per_frame_in_order() -> None:
    views = make_views(62)
    store = Store(views[:50])
    app = HostApp(lambda: Transcript(window=40, page=20))
    async with app.run_host(size=(100, 30)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.set_source(50, store.load)
        await settle_pilot(pilot, transcript)
        store.views = views[:58]
        await transcript.extend(views[50:56])
        # Only the first is mounted at once; the rest follow, a frame each.
        assert transcript.views[-1] == views[50]
        assert transcript.total == 56
        for _ in range(50):
            if transcript.views[-1] == views[55]:
                break
            await pilot.pause()
        check_window(transcript, views)
        assert transcript.views[-6:] == views[50:56]
        # Messages settling while others still wait for their frame queue behind them.
        store.views = views
        await transcript.extend(views[56:58])
        await transcript.extend(views[58:59])
        assert transcript.views[-1] == views[56]
        for _ in range(50):
            if transcript.views[-1] == views[58]:
                break
            await pilot.pause()
        assert transcript.views[-3:] == views[56:59]
        # A page load in the middle (End) brings the waiting ones itself, without duplicates.
        await transcript.extend(views[59:62])
        assert transcript.views[-1] == views[59]
        transcript.jump_to_end()
        await settle_pilot(pilot, transcript)
        for _ in range(20):
            await pilot.pause()
        check_window(transcript, views)
        assert transcript.window[1] == transcript.total == 62
