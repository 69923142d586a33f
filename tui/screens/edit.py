"""A modal multi-line editor for "edit & resend"."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from ramify.tui.widgets.display_text_area import DisplayTextArea


class EditScreen(ModalScreen[str | None]):
    """Edit a text; Ctrl+S (or Ctrl+Enter) sends the edit, Escape dismisses with None.

    Args:
        text: the original text, pre-filled.
        title: what is being edited.
    """

    DEFAULT_CSS = """
    EditScreen { align: center middle; }
    EditScreen > Vertical {
        width: 80%; height: 60%; border: round $primary; background: $surface; padding: 0 1;
    }
    EditScreen TextArea { height: 1fr; }
    EditScreen .edit--hint { color: $text-muted; height: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+s,ctrl+enter", "submit", "Send edit", show=False, priority=True),
    ]

    def __init__(self, text: str, title: str = "Edit & resend") -> None:
        super().__init__()
        self.original = text
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield DisplayTextArea(self.original, soft_wrap=True, id="edit-area")
            yield Static(
                Text("Ctrl+S sends the edit as a new branch · Esc cancels"), classes="edit--hint"
            )

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_submit(self) -> None:
        text = self.query_one(TextArea).text
        if text.strip():
            self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
