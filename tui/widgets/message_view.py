"""One finished message as one light widget."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from rich.text import Text
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ramify.tui.sanitize import literal, sanitize, snippet
from ramify.tui.view_models import MessageStatus, MessageView, ToolStatus

PREVIEW_CHARS = 64_000
"""Most characters of a message rendered in the transcript. A 6 MB reply rendered whole took
13.6 s to settle and a 20 MB one never did; past this, the transcript shows the beginning and
says how much more there is, and "show all" (`FullText`) renders the rest as it is scrolled to."""

LITERAL_ROLES = frozenset({"user", "error"})
"""Roles shown as written, line breaks included: what the user typed (`2*3*4` is not emphasis,
`# x` not a heading) and error texts. Model replies are rendered as Markdown."""

_STATUS_STYLE = {
    MessageStatus.ERROR: "bold red",
    MessageStatus.CANCELLED: "bold yellow",
    MessageStatus.STREAMING: "bold cyan",
}


def message_header(view: MessageView) -> Text:
    """The header line: sender (→ receiver), model, time, `n/m`, short hash and a non-done status.

    Built from `Text` parts appended as plain strings, so markup in a sender or model name stays
    literal.
    """
    header = Text(no_wrap=True, overflow="ellipsis")
    header.append(sanitize(view.sender), style="bold")
    if view.receiver:
        # A network message: who it was for, so the transcript reads who said what to whom.
        header.append(" → ")
        header.append(sanitize(view.receiver), style="bold")
    if view.model:
        header.append("  ")
        header.append(sanitize(view.model), style="italic")
    if view.time:
        header.append("  ")
        header.append(sanitize(view.time), style="dim")
    if view.siblings:
        header.append("  ")
        header.append(f"‹{view.siblings}›", style="bold")
    if view.forwarded:
        header.append("  ")
        header.append("forwarded", style="bold magenta")
    header.append("  ")
    header.append(view.short_hash, style="dim")
    if view.status is not MessageStatus.DONE:
        header.append("  ")
        header.append(view.status.value, style=_STATUS_STYLE[view.status])
    usage = view.usage.describe()
    if usage:
        header.append("  ")
        header.append(usage, style="dim")
    return header


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The beginning of `text` shown in the transcript: all of it up to `limit` characters,
    else cut at the last line break of the second half of the limit (mid-line if none)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", limit // 2, limit)
    return text[: cut if cut > 0 else limit]


def _size(characters: int) -> str:
    if characters >= 1_000_000:
        return f"{characters / 1_000_000:.1f} M characters"
    if characters >= 1_000:
        return f"{characters / 1_000:.0f} K characters"
    return f"{characters} characters"


def more_notice(view: MessageView, shown: int) -> Text:
    """What a cut message says below its beginning: how much more, and how to see it."""
    rest = view.text[shown:]
    lines = rest.count("\n")
    return Text(
        f"… {_size(len(rest))} more, {lines:,} lines · click or press o: show all · y: copy all",
        style="bold italic",
    )


TOOL_STATUS_MARKS: dict[ToolStatus, tuple[str, str]] = {
    ToolStatus.RUNNING: ("…", "bold cyan"),
    ToolStatus.WAITING: ("?", "bold magenta"),
    ToolStatus.DONE: ("✓", "bold green"),
    ToolStatus.FAILED: ("✗", "bold red"),
    ToolStatus.CANCELLED: ("-", "bold yellow"),
}
"""The glyph and style of each tool call status, live and settled alike; the word shown after
the glyph is the status's value (single-cell glyphs, so lines keep their width everywhere)."""

TOOL_SNIPPET_CHARS = 80
"""Characters of a tool result shown while it is collapsed."""


def tool_lines(view: MessageView, *, expanded: bool) -> list[RenderableType]:
    """The tool part of a message: one line per call of an assistant message (``▸ name(args)``),
    or a result's ``▸ name → result  ✓ done|✗ failed``; expanded, the full arguments and the
    whole result, literal."""
    marker = "▾ " if expanded else "▸ "
    parts: list[RenderableType] = []
    for call in view.tool_calls:
        line = Text(no_wrap=not expanded, overflow="ellipsis")
        line.append(marker, style="bold")
        line.append(sanitize(call.short()), style="bold cyan")
        if call.status is None:
            line.append("  tool call", style="dim")
        else:
            glyph, style = TOOL_STATUS_MARKS[call.status]
            line.append(f"  {glyph} {call.status.value}", style=style)
        parts.append(line)
        if expanded:
            parts.append(literal(call.full()))
    if view.tool_name is not None:
        line = Text(no_wrap=not expanded, overflow="ellipsis")
        line.append(marker, style="bold")
        line.append(sanitize(view.tool_name), style="bold cyan")
        line.append(" → ")
        if not expanded:
            line.append(snippet(view.text, TOOL_SNIPPET_CHARS))
        line.append("  ")
        status = ToolStatus.FAILED if view.tool_failed else ToolStatus.DONE
        glyph, style = TOOL_STATUS_MARKS[status]
        line.append(f"{glyph} {status.value}", style=style)
        parts.append(line)
        if expanded:
            parts.append(literal(preview(view.text)))
    return parts


def message_renderable(view: MessageView, *, expanded: bool = False) -> RenderableType:
    """Header plus the body: literal text for the user's and error messages, Rich Markdown
    (which never interprets `[...]` as markup) for the rest; a long body is cut to its
    beginning and a notice. Tool calls and results show collapsed (`tool_lines`) unless
    `expanded`."""
    if view.tool_name is not None:
        return Group(message_header(view), *tool_lines(view, expanded=expanded))
    shown = preview(view.text)
    if view.role in LITERAL_ROLES:
        body: RenderableType = literal(shown)
    else:
        body = RichMarkdown(sanitize(shown), code_theme="monokai")
    tools = tool_lines(view, expanded=expanded)
    if len(shown) == len(view.text):
        return Group(message_header(view), body, *tools)
    return Group(message_header(view), body, more_notice(view, len(shown)), *tools)


class MessageWidget(Widget):
    """A finished message: one line-API widget showing a renderable built once.

    A Textual `Markdown` costs ~18 widgets per message; this costs one, which is what keeps a
    long transcript cheap to mount (research/tui-anchors.md §3.3). A `Static` rendered the
    Markdown twice per width, once to measure its height and once to draw it (~10 ms each for
    an 8 KB reply, inside the frame that shows it, keys waiting); this renders it once per width
    and keeps the lines, which the widget's own style (background, selection) is laid under
    as they are drawn.
    """

    DEFAULT_CSS = """
    MessageWidget {
        height: auto;
        padding: 0 1;
        margin: 0 0 1 0;
        border-left: blank;
    }
    MessageWidget.-role-user { border-left: thick $primary; }
    MessageWidget.-role-assistant { border-left: thick $secondary; }
    MessageWidget.-role-error { border-left: thick $error; }
    MessageWidget.-role-tool { border-left: thick $panel; }
    MessageWidget.-selected { background: $boost; border-left: thick $accent; }
    """

    selected: reactive[bool] = reactive(False)
    #: A tool call or result shows its full arguments and result (a click toggles it).
    expanded: reactive[bool] = reactive(False, init=False)

    class ShowAll(Message):
        """The reader asked for the whole of a message cut to its beginning."""

        def __init__(self, view: MessageView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, view: MessageView, *, id: str | None = None) -> None:
        role = "".join(c for c in view.role if c.isalnum()) or "other"
        super().__init__(id=id, classes=f"-role-{role}")
        self.view = view
        self._renderable = message_renderable(view)
        self._lines: list[Strip] = []
        self._lines_width = -1

    @property
    def node_hash(self) -> str:
        """Hash of the node this widget shows."""
        return self.view.node_hash

    @property
    def cut(self) -> bool:
        """True when only the beginning of the message is shown here."""
        return len(preview(self.view.text)) < len(self.view.text)

    def watch_selected(self, selected: bool) -> None:
        self.set_class(selected, "-selected")

    def on_click(self, event: Click) -> None:
        if self.cut:
            self.post_message(self.ShowAll(self.view))
        elif self.view.has_tool_details:
            self.expanded = not self.expanded

    def update_view(self, view: MessageView) -> None:
        """Show `view` of the same node instead (a status that changed since it was mounted)."""
        if view != self.view:
            self.view = view
            self.watch_expanded(self.expanded)

    def watch_expanded(self, expanded: bool) -> None:
        self._renderable = message_renderable(self.view, expanded=expanded)
        self._lines_width = -1
        self.refresh(layout=True)

    def lines(self, width: int) -> list[Strip]:
        """The message rendered at `width` cells, without the widget's own style."""
        if width != self._lines_width:
            app = self.app
            options = app.console_options.update(highlight=False, width=width, height=None)
            segments = app.console.render(self._renderable, options)
            self._lines = [
                Strip(line)
                for line in Segment.split_and_crop_lines(
                    segments, width, include_new_lines=False, pad=False
                )
            ]
            self._lines_width = width
        return self._lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.visual_style.rich_style
        lines = self.lines(width)
        if 0 <= y < len(lines):
            return lines[y].apply_style(style)
        return Strip.blank(width, style)
