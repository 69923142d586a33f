"""F1 help: every registered action with its current key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ramify.core.llm import config_path
from ramify.tui.actions import help_rows
from ramify.tui.sanitize import literal

HELP_INTRO = Text(
    "Type anywhere: what you type goes to the message box, so prose never runs a command.\n"
    "The single keys below (h j k l [ ] f e r t b / y c m a i) are commands only in navigate "
    "mode: Ctrl+G enters it, Esc or Enter leaves it. Esc also closes any dialog, and from the "
    "message box it cancels the running reply.\n"
)


def help_table(keymap: Mapping[str, str] | None = None) -> Table:
    """The help as a Rich table, grouped as in the registry."""
    table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(style="dim")
    current = None
    for group, keys, title, description in help_rows(keymap):
        if group != current:
            table.add_row(Text(group, style="bold underline"), Text(""), Text(""))
            current = group
        table.add_row(literal(keys), literal(title), literal(description))
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every action of the registry; Escape, F1 or q closes it.

    Args:
        keymap: the user keymap in force, so the help shows the keys that actually work.
    """

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; height: 80%; border: round $primary; background: $surface; padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close", show=False)]

    def __init__(self, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP_INTRO, id="help-intro")
            yield Static(Text(f"Config file: {config_path()}", style="dim"), id="help-config")
            yield Static(help_table(self.keymap), id="help-body")
