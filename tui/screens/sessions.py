"""Ctrl+O: the sessions of the store by last use, to open, rename or delete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ramify.tui.sanitize import snippet

OPEN = "open"
RENAME = "rename"
DELETE = "delete"


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session as the list shows it (all text from outside, shown literally)."""

    id: str
    title: str
    updated: str
    messages: int
    first_line: str
    current: bool = False


def row_label(row: SessionRow) -> Text:
    """Two lines: the title, when it was last used and its size; then its first words."""
    label = Text(no_wrap=True, overflow="ellipsis")
    label.append(snippet(row.title or "(untitled)", 60), style="bold")
    if row.current:
        label.append("  (open)", style="bold green")
    plural = "" if row.messages == 1 else "s"
    label.append(f"  ·  {row.updated}  ·  {row.messages} message{plural}", style="dim")
    label.append("\n  ")
    label.append(snippet(row.first_line, 100) or "(empty)", style="dim italic")
    return label


class SessionsScreen(ModalScreen[tuple[str, str] | None]):
    """Dismisses with `(OPEN | RENAME | DELETE, session id)`, or None on Escape.

    Args:
        rows: the sessions, most recently used first.
        highlighted: id of the session to start on.
    """

    DEFAULT_CSS = """
    SessionsScreen { align: center middle; }
    SessionsScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 85%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    SessionsScreen OptionList { height: auto; max-height: 32; border: none; }
    SessionsScreen .sessions--hint, SessionsScreen .sessions--empty { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("r", "choose('rename')", "Rename", show=False),
        Binding("d,delete", "choose('delete')", "Delete", show=False),
    ]

    def __init__(self, rows: Sequence[SessionRow], highlighted: str | None = None) -> None:
        super().__init__()
        self.rows = list(rows)
        self.highlighted = highlighted

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Sessions, last used first", style="bold"), id="sessions-title")
            if not self.rows:
                yield Static(Text("no saved sessions yet"), classes="sessions--empty")
            options = [Option(row_label(row), id=row.id) for row in self.rows]
            yield OptionList(*options, id="sessions-list")
            yield Static(
                Text("Enter open · r rename · d delete · Esc close"), classes="sessions--hint"
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        if self.highlighted is not None:
            self.highlight(self.highlighted)

    @property
    def highlighted_id(self) -> str | None:
        """The id of the session under the cursor."""
        option_list = self.query_one(OptionList)
        index = option_list.highlighted
        return None if index is None else option_list.get_option_at_index(index).id

    def highlight(self, session_id: str) -> None:
        """Put the cursor on a session."""
        ids = [row.id for row in self.rows]
        if session_id in ids:
            self.query_one(OptionList).highlighted = ids.index(session_id)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss((OPEN, event.option.id))

    def action_choose(self, verb: str) -> None:
        session_id = self.highlighted_id
        if session_id is not None:
            self.dismiss((verb, session_id))

    def action_cancel(self) -> None:
        self.dismiss(None)
