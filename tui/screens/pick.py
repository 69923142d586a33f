"""A modal list to pick one item from (branches, sessions, search hits, agents)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ramify.tui.sanitize import literal, snippet


class PickScreen(ModalScreen[str | None]):
    """Dismisses with the picked item's id, or None on Escape.

    Args:
        title: what is being picked, shown literally.
        items: `(id, label)` pairs; labels are shown as plain text, never markup.
        highlighted: id of the item to start on.
    """

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > Vertical {
        width: 80%; max-width: 100; height: auto; max-height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    PickScreen OptionList { height: auto; max-height: 30; border: none; }
    PickScreen .pick--empty { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(
        self, title: str, items: Sequence[tuple[str, str]], highlighted: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.items = list(items)
        self.highlighted = highlighted

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(self.title_text, "bold"), id="pick-title")
            if not self.items:
                yield Static(Text("nothing to pick"), classes="pick--empty")
            options = [Option(Text(snippet(label, 160)), id=key) for key, label in self.items]
            yield OptionList(*options, id="pick-list")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.focus()
        if self.highlighted is not None:
            ids = [key for key, _ in self.items]
            if self.highlighted in ids:
                option_list.highlighted = ids.index(self.highlighted)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
