"""One finished message as one light widget."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ramify.tui.sanitize import sanitize
from ramify.tui.view_models import MessageStatus, MessageView

_STATUS_STYLE = {
    MessageStatus.ERROR: "bold red",
    MessageStatus.CANCELLED: "bold yellow",
    MessageStatus.STREAMING: "bold cyan",
}


def message_header(view: MessageView) -> Text:
    """The header line: sender, model, time, `n/m`, short hash and a non-done status.

    Built from `Text` parts appended as plain strings, so markup in a sender or model name stays
    literal.
    """
    header = Text(no_wrap=True, overflow="ellipsis")
    header.append(sanitize(view.sender), style="bold")
    if view.model:
        header.append("  ")
        header.append(sanitize(view.model), style="italic")
    if view.time:
        header.append("  ")
        header.append(sanitize(view.time), style="dim")
    if view.siblings:
        header.append("  ")
        header.append(f"‹{view.siblings}›", style="bold")
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


def message_renderable(view: MessageView) -> RenderableType:
    """Header plus the body as Rich Markdown (which never interprets `[...]` as markup)."""
    body = RichMarkdown(sanitize(view.text), code_theme="monokai")
    return Group(message_header(view), body)


class MessageWidget(Static):
    """A finished message: one `Static` holding a renderable built once.

    A Textual `Markdown` costs ~18 widgets per message; this costs one, which is what keeps a
    long transcript cheap to mount (research/tui-anchors.md §3.3).
    """

    DEFAULT_CSS = """
    MessageWidget {
        padding: 0 1;
        margin: 0 0 1 0;
        border-left: blank;
    }
    MessageWidget.-role-user { border-left: thick $primary; }
    MessageWidget.-role-assistant { border-left: thick $secondary; }
    MessageWidget.-role-error { border-left: thick $error; }
    MessageWidget.-selected { background: $boost; border-left: thick $accent; }
    """

    selected: reactive[bool] = reactive(False)

    def __init__(self, view: MessageView, *, id: str | None = None) -> None:
        role = "".join(c for c in view.role if c.isalnum()) or "other"
        super().__init__(message_renderable(view), id=id, classes=f"-role-{role}")
        self.view = view

    @property
    def node_hash(self) -> str:
        """Hash of the node this widget shows."""
        return self.view.node_hash

    def watch_selected(self, selected: bool) -> None:
        self.set_class(selected, "-selected")
