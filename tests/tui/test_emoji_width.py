"""A ZWJ emoji keeps its line in place, in the composer and the transcript.

Rich counts 👨‍👩‍👧 as one 2-cell glyph; many terminals draw its three emoji, 6 cells, and pushed
the rest of the line (its border too) 4 cells out of place. What the IDE draws must be as wide
in a terminal that joins nothing as Rich measured it, and carry no joiner for another terminal
to draw otherwise.
"""

from __future__ import annotations

from rich.cells import get_character_cell_size
from textual.strip import Strip

from ramify.tui.view_models import MessageView
from ramify.tui.widgets import Composer, MessageWidget
from tests.tui.hosts import HostApp

FAMILY = "👨\u200d👩\u200d👧"
HEART = "❤\ufe0f"
TEXT = f"x{FAMILY}y end\nlove {HEART} ok"


def _unjoined_width(strip: Strip) -> int:
    """The strip's width in a terminal that draws each code point on its own."""
    return sum(get_character_cell_size(character) for character in strip.text)


def _assert_drawn_as_measured(strips: list[Strip]) -> None:
    for strip in strips:
        assert "\u200d" not in strip.text
        assert "\ufe0f" not in strip.text
        assert _unjoined_width(strip) == strip.cell_length


async def test_a_zwj_emoji_keeps_the_composers_border_in_its_column() -> None:
    app = HostApp(lambda: Composer("AGENT"))
    async with app.run_host(size=(40, 12)) as pilot:
        composer = app.query_one(Composer)
        composer.text = TEXT
        composer.area.focus()
        await pilot.press("up", "home", "right", "right")
        await pilot.pause()
        area = composer.area
        strips = [area.render_line(y) for y in range(area.size.height)]
        _assert_drawn_as_measured(strips)
        assert all(strip.cell_length == area.size.width for strip in strips)
        assert FAMILY.replace("\u200d", "\u200b") in strips[0].text
        assert composer.text == TEXT  # what is sent is what was typed
        # The cursor sits after the family emoji: 1 (x) + 6 cells, plus the area's gutter.
        assert area.cursor_location == (0, 2)
        assert area.cursor_screen_offset.x - area.content_region.x == 1 + 2


async def test_a_zwj_emoji_keeps_its_transcript_line_in_place() -> None:
    view = MessageView("c" * 64, sender=f"me {FAMILY}", role="user", text=TEXT)
    reply = MessageView("d" * 64, sender="ECHO", role="assistant", text=f"**{FAMILY}** done")
    app = HostApp(lambda: [MessageWidget(view), MessageWidget(reply)])
    async with app.run_host(size=(60, 20)) as pilot:
        await pilot.pause()
        for widget in app.query(MessageWidget):
            strips = [widget.render_line(y) for y in range(widget.size.height)]
            _assert_drawn_as_measured(strips)
            assert any("👨👩👧" in strip.text for strip in strips)
