"""A huge reply settles with only its beginning rendered, and all of it stays reachable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from ramify.core import InteractionContext, Message, MessagePromise, SQLiteStore, Store, agent
from ramify.tui.screens import FullTextScreen
from ramify.tui.widgets import FullText, MessageWidget, Transcript
from ramify.tui.widgets.live_tail import KEPT_LINES, OPEN_LINE_CHARS, LiveTail
from ramify.tui.widgets.message_view import PREVIEW_CHARS
from tests.tui.hosts import HostApp
from tests.tui.ide import ide, navigate_mode, send, until

pytestmark = pytest.mark.timeout(90)

LINE = "The quick brown fox jumps over the *lazy* dog, `again` and again: 0123456789.\n"
HUGE = (LINE * (1_500_000 // len(LINE)))[:-1] + " END"
"""1.5 MB: far past what the transcript renders (`PREVIEW_CHARS`)."""


@agent(alias="HUGE", cache=False)
async def huge(ctx: InteractionContext) -> None:
    """Streams `HUGE` in 10,000-character chunks."""

    async def chunks() -> AsyncIterator[str]:
        for start in range(0, len(HUGE), 10_000):
            yield HUGE[start : start + 10_000]

    ctx.reply(MessagePromise(chunks()))


class ReadCountingStore(SQLiteStore):
    """A real SQLite store that notes which messages were read from it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.read: list[str] = []

    async def get_messages(self, hashes: Sequence[str]) -> dict[str, Message]:
        self.read.extend(hashes)
        return await super().get_messages(hashes)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


async def test_a_huge_reply_settles_rendering_only_its_beginning(store: Store) -> None:
    assert len(HUGE) > 20 * PREVIEW_CHARS
    async with ide(store, huge) as (app, pilot):
        await send(app, pilot, "write a lot")
        transcript = app.query_one(Transcript)
        assert transcript.views[-1].text == HUGE
        widget = transcript.query_children(MessageWidget).last()
        assert widget.cut
        lines = widget.lines(widget.size.width)
        assert len(lines) < 2 * PREVIEW_CHARS // widget.size.width
        notice = " ".join(strip.text.strip() for strip in lines[-3:])
        assert "1.4 M characters more" in notice
        assert "show all" in notice
        assert "END" not in "".join(strip.text for strip in lines)


async def test_a_huge_reply_settles_without_being_read_back_from_the_store(
    tmp_path: Path,
) -> None:
    """Reading 20 MB back rebuilds and re-hashes it (~0.2 s each): the transcript, the tree's
    labels and each catch-up show the reply the session just wrote instead."""
    async with (
        ReadCountingStore(tmp_path / "ide.db") as counting,
        ide(counting, huge) as (app, pilot),
    ):
        await send(app, pilot, "write a lot")
        controller = app.controller
        assert controller is not None
        reply = await controller.session.resolve(controller.path[-1])
        assert app.query_one(Transcript).views[-1].text == HUGE
        assert reply.message not in counting.read


async def test_all_of_a_huge_reply_is_copied_and_shown_by_show_all(store: Store) -> None:
    async with ide(store, huge) as (app, pilot):
        await send(app, pilot, "write a lot")
        await navigate_mode(app, pilot)
        await app.run_action("copy_message")
        assert app.clipboard == HUGE

        await app.run_action("message_full")
        await until(pilot, lambda: isinstance(app.screen, FullTextScreen))
        full = app.screen.query_one(FullText)
        await until(pilot, lambda: full.rows > 0)
        assert full.rows >= HUGE.count("\n") + 1
        assert full.row_text(0).startswith("The quick brown fox")
        assert full.row_text(full.rows - 1).endswith("END")
        full.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        shown = [full.render_line(y).text.rstrip() for y in range(full.size.height)]
        assert shown[-1].endswith("END")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, FullTextScreen))


async def test_clicking_a_cut_message_opens_show_all(store: Store) -> None:
    async with ide(store, huge) as (app, pilot):
        await send(app, pilot, "write a lot")
        widget = app.query_one(Transcript).query_children(MessageWidget).last()
        await pilot.click(widget, offset=(3, widget.size.height - 2))  # its notice
        await until(pilot, lambda: isinstance(app.screen, FullTextScreen))
        assert app.screen.query_one(FullText).text == HUGE


async def test_show_all_wraps_long_and_wide_lines_without_losing_a_character() -> None:
    text = "a" * 250 + "\n" + "界" * 75 + "\n\x1b[2J"
    app = HostApp(lambda: FullText(text))
    async with app.run_host(size=(50, 20)) as pilot:
        await pilot.pause()
        full = app.query_one(FullText)
        width = full.scrollable_content_region.width
        rows = [full.row_text(y) for y in range(full.rows)]
        ascii_rows = -(-250 // width)
        assert "".join(rows[:ascii_rows]) == "a" * 250
        assert "".join(rows[ascii_rows:-1]) == "界" * 75
        assert all(len(row) * 2 <= width for row in rows[ascii_rows:-1])
        assert rows[-1] == "␛[2J"


async def test_the_live_tail_stays_bounded_however_much_streams() -> None:
    app = HostApp(lambda: LiveTail())
    async with app.run_host(size=(80, 20)) as pilot:
        await pilot.pause()
        tail = app.query_one(LiveTail)
        for _ in range(20):
            tail.append(LINE * 1_000)
        assert len(tail.text) <= KEPT_LINES * len(LINE) + 2 * OPEN_LINE_CHARS
        for _ in range(20):
            tail.append("x" * 100_000)  # a reply with no line breaks
        assert len(tail.text) <= KEPT_LINES * len(LINE) + 2 * OPEN_LINE_CHARS
        await pilot.pause()


@pytest.mark.parametrize("count", [KEPT_LINES, KEPT_LINES + 1, KEPT_LINES + 2, 5_000])
async def test_the_live_tail_keeps_exactly_the_last_lines_of_a_big_flush(count: int) -> None:
    app = HostApp(lambda: LiveTail())
    async with app.run_host(size=(80, 20)) as pilot:
        await pilot.pause()
        tail = app.query_one(LiveTail)
        tail.append("open ")
        tail.append("".join(f"line {index}\n" for index in range(count)) + "unfinished")
        kept = ["open line 0"] + [f"line {index}" for index in range(1, count)]
        assert tail.text == "".join(f"{line}\n" for line in kept[-KEPT_LINES:]) + "unfinished"
