"""`FullText`: a text of any size, as literal wrapped lines, rendered only where it shows."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from rich.cells import chop_cells
from rich.segment import Segment
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ramify.tui.sanitize import sanitize


class _Rows:
    """Where each screen row of a text starts, at one width.

    ASCII lines (nearly all of a huge reply) are cut every `width` characters: one character is
    one cell there, also after `sanitize` (a control character becomes one picture). Other
    lines are cut by cells, once, as they are measured.
    """

    def __init__(self, lines: list[str], width: int) -> None:
        self.width = width
        self.lines = lines
        self._chopped: dict[int, list[str]] = {}
        counts = []
        for index, line in enumerate(lines):
            if line.isascii():
                counts.append(max(1, -(-len(line) // width)))
            else:
                chopped = chop_cells(sanitize(line), width) or [""]
                self._chopped[index] = chopped
                counts.append(len(chopped))
        self._starts = [0, *accumulate(counts)]

    @property
    def total(self) -> int:
        """Screen rows of the whole text."""
        return self._starts[-1]

    def row(self, y: int) -> str:
        """The display text of screen row `y`."""
        index = bisect_right(self._starts, y) - 1
        part = y - self._starts[index]
        chopped = self._chopped.get(index)
        if chopped is not None:
            return chopped[part]
        start = part * self.width
        return sanitize(self.lines[index][start : start + self.width])


class FullText(ScrollView, can_focus=True):
    """All of a text, wrapped to the widget's width and shown literally.

    A 20 MB reply rendered as Markdown (or as one Rich `Text`) took minutes and gigabytes; this
    keeps the text as it is, measures where each screen row starts (one pass, no rendering) and
    renders only the rows on screen, as the reader scrolls. The vertical scrollbar is always
    there, so the width rows are cut at never changes as it would appear.

    Args:
        text: the text, as stored (it is shown in display form, see `sanitize`).
    """

    DEFAULT_CSS = """
    FullText { height: 1fr; overflow-x: hidden; overflow-y: scroll; }
    """

    def __init__(self, text: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = text
        self._lines = text.expandtabs(4).split("\n")
        self._rows: _Rows | None = None

    @property
    def rows(self) -> int:
        """Screen rows the whole text takes at the current width."""
        return self._rows.total if self._rows is not None else 0

    def row_text(self, y: int) -> str:
        """What screen row `y` shows (0 is the first row of the text)."""
        return self._rows.row(y) if self._rows is not None else ""

    def on_resize(self, event: Resize) -> None:
        width = max(1, self.scrollable_content_region.width)
        if self._rows is None or self._rows.width != width:
            self._rows = _Rows(self._lines, width)
            self.virtual_size = Size(width, self._rows.total)
            self.refresh()

    def render_line(self, y: int) -> Strip:
        style = self.rich_style
        width = self.scrollable_content_region.width
        row = self.scroll_offset.y + y
        if self._rows is None or row >= self._rows.total:
            return Strip.blank(width, style)
        return Strip([Segment(self._rows.row(row), style)]).extend_cell_length(width, style)
