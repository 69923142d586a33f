"""`LiveTail`: the last lines of a streaming reply, as literal wrapped text.

A live pane shows where a reply is going, not the whole reply (that settles into the
transcript, rendered as Markdown, when it ends). Streaming into a `Markdown` widget mounted a
block widget per paragraph and reflowed the whole screen on every flush: with 8 agents
streaming, frames took 40-60 ms and keys waited behind them. This widget is one line-API
widget: new text repaints only its own lines, and the screen is laid out again only when its
height changes: one line, half its `max-height`, then all of it.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

KEPT_LINES = 64
"""Finished lines of text kept for showing (each wraps to one screen line or more, and a pane
shows at most `max-height` of them): memory and repaint cost stay flat however long a reply is."""

OPEN_LINE_CHARS = 4_000
"""Longest unfinished line kept whole; a longer one (a reply with no newlines) is cut at its
front, in steps of this size, so its wrapping shifts rarely."""

PLACEHOLDER = "…"


class _Line:
    """A finished line of text and its wrapping at the current width (None until shown)."""

    __slots__ = ("text", "wrapped")

    def __init__(self, text: str) -> None:
        self.text = text
        self.wrapped: list[Text] | None = None


class LiveTail(Widget):
    """The tail of a growing text, wrapped to the widget's width, bottom lines showing.

    Finished lines are wrapped once and kept; each append re-wraps only the unfinished last
    line. Text is shown literally: markup and escape sequences are not interpreted (callers
    sanitise control characters; `rich.text.Text` parses no markup).
    """

    DEFAULT_CSS = """
    LiveTail { height: auto; max-height: 10; }
    LiveTail > .live-tail--placeholder { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"live-tail--placeholder"}

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # Finished lines, each with its wrapping at `_wrap_width` (None until it shows).
        self._lines_done: deque[_Line] = deque(maxlen=KEPT_LINES)
        self._open_line = ""
        self._open_line_wrap: list[Text] | None = None
        self._wrap_width = -1
        self._shown_height = 1

    @property
    def text(self) -> str:
        """The tail held: the last `KEPT_LINES` finished lines and the unfinished one."""
        return "".join(f"{line.text}\n" for line in self._lines_done) + self._open_line

    def append(self, text: str) -> None:
        """Add text at the end and repaint (a layout happens only if the height changes)."""
        if not text:
            return
        # Split off only the lines that can be kept: a flush of a fast stream holds ~1 MB,
        # and splitting all of it made ~13,000 strings to throw away.
        *finished, rest = (self._open_line + text).rsplit("\n", KEPT_LINES + 1)
        self._lines_done.extend(_Line(line) for line in finished[-KEPT_LINES:])
        if len(rest) > 2 * OPEN_LINE_CHARS:
            rest = rest[-OPEN_LINE_CHARS:]
        self._open_line = rest
        self._open_line_wrap = None
        height = self._height_for(len(self._visible(self.size.width)))
        if self.size.width and height != self._shown_height:
            self._shown_height = height
            self.refresh(layout=True)
        else:
            self.refresh()

    def _max_lines(self) -> int:
        limit = self.styles.max_height
        if limit is not None and limit.is_cells:
            return max(1, int(limit.value))
        return 10

    def _wrap(self, line: str) -> list[Text]:
        if not line:
            return [Text("")]
        body = Text(line, end="")
        return list(body.wrap(self.app.console, self._wrap_width, overflow="fold"))

    def _visible(self, width: int) -> list[Text]:
        """The last wrapped lines, as many as fit under `max-height`."""
        if width <= 0:
            return []
        if width != self._wrap_width:
            # Panes narrow as others open beside them: re-wrap lazily, only what shows.
            self._wrap_width = width
            for line in self._lines_done:
                line.wrapped = None
            self._open_line_wrap = None
        wanted = self._max_lines()
        if self._open_line_wrap is None:
            self._open_line_wrap = self._wrap(self._open_line) if self._open_line else []
        lines = list(self._open_line_wrap[-wanted:])
        for line in reversed(self._lines_done):
            if len(lines) >= wanted:
                break
            if line.wrapped is None:
                line.wrapped = self._wrap(line.text)
            lines[:0] = line.wrapped[-(wanted - len(lines)) :]
        return lines

    def _height_for(self, lines: int) -> int:
        # Grown in two steps, not line by line: each step lays the whole screen out again,
        # and eight panes growing together made ten such frames in their first 100 ms.
        tallest = self._max_lines()
        for step in (1, tallest // 2):
            if lines <= step:
                return step
        return tallest

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._shown_height = self._height_for(len(self._visible(width)))
        return self._shown_height

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        lines = self._visible(width)
        if not lines:
            if y == 0:
                placeholder = self.get_component_rich_style("live-tail--placeholder")
                segments = Text(PLACEHOLDER, style=placeholder).render(self.app.console)
                return Strip(list(segments)).crop_extend(0, width, style)
            return Strip.blank(width, style)
        index = max(0, len(lines) - self.size.height) + y
        if index >= len(lines):
            return Strip.blank(width, style)
        line = lines[index].copy()
        line.end = ""
        line.stylize_before(style)
        return Strip(list(line.render(self.app.console))).crop_extend(0, width, style)
