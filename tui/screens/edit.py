"""A modal multi-line editor for "edit & resend", with the name of the branch it makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ramify.tui.widgets.display_text_area import DisplayTextArea


@dataclass(frozen=True, slots=True)
class EditResult:
    """The edited text and the name of the branch it goes on."""

    text: str
    branch: str


class EditArea(DisplayTextArea):
    """The editor's text area: the message box's keys (same ids, so keymaps remap both)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Send edit", id="send", priority=True),
        Binding("ctrl+j,shift+enter", "newline", "Newline", id="composer.newline", priority=True),
    ]

    def action_submit(self) -> None:
        screen = self.screen
        if isinstance(screen, EditScreen):
            self.call_later(screen.action_submit)

    def action_newline(self) -> None:
        self.insert("\n")


class EditScreen(ModalScreen[EditResult | None]):
    """Edit a text; Enter sends it as a new branch (Ctrl+J for a newline), Esc dismisses.

    Args:
        text: the original text, pre-filled.
        branch: the proposed name of the new branch, which the user can change.
        title: what is being edited.
    """

    DEFAULT_CSS = """
    EditScreen { align: center middle; }
    EditScreen > Vertical {
        width: 80%; height: 60%; border: round $primary; background: $surface; padding: 0 1;
    }
    EditScreen TextArea { height: 1fr; }
    EditScreen Horizontal { height: auto; }
    EditScreen .edit--label { width: auto; padding: 1 1 0 0; }
    EditScreen Input { width: 1fr; }
    EditScreen .edit--hint { color: $text-muted; height: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, text: str, branch: str = "", title: str = "Edit & resend") -> None:
        super().__init__()
        self.original = text
        self.branch = branch
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield EditArea(self.original, soft_wrap=True, id="edit-area")
            with Horizontal():
                yield Static(Text("New branch:"), classes="edit--label")
                yield Input(self.branch, id="edit-branch")
            yield Static(
                Text("Enter sends the edit on the new branch · Ctrl+J newline · Esc cancels"),
                classes="edit--hint",
            )

    def on_mount(self) -> None:
        area = self.query_one(EditArea)
        area.focus()
        area.move_cursor(area.document.end)

    @on(Input.Submitted)
    def _name_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        text = self.query_one(EditArea).text
        branch = self.query_one(Input).value.strip()
        if text.strip() and branch:
            self.dismiss(EditResult(text, branch))

    def action_cancel(self) -> None:
        self.dismiss(None)
