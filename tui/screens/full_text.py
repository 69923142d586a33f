"""A modal showing the whole text of one message, however long, as literal text."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ramify.tui.sanitize import literal
from ramify.tui.widgets.full_text import FullText


class FullTextScreen(ModalScreen[None]):
    """The whole of a long message, rendered as the reader scrolls; Escape or q closes it.

    Args:
        text: the message text as stored.
        title: what is shown (sender, size), shown literally.
    """

    DEFAULT_CSS = """
    FullTextScreen { align: center middle; }
    FullTextScreen > Vertical {
        width: 95%; height: 90%; border: round $primary; background: $surface; padding: 0 1;
    }
    FullTextScreen .full-text--title { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Close", show=False)]

    def __init__(self, text: str, title: str) -> None:
        super().__init__()
        self.text = text
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(self.title_text, "bold"), classes="full-text--title")
            yield FullText(self.text)

    def on_mount(self) -> None:
        self.query_one(FullText).focus()
