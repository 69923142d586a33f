"""The message composer: a multi-line text area where Enter sends."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.document._document import Document
from textual.document._document_navigator import DocumentNavigator
from textual.document._wrapped_document import WrappedDocument
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from ramify.tui.sanitize import sanitize, unjoined


class DisplayDocument(Document):
    """A `Document` that stores the text as typed but is measured and drawn in `unjoined` form.

    A ZWJ emoji (👨‍👩‍👧) is one 2-cell glyph to Rich but three emoji, 6 cells, in many terminals:
    the rest of its line was drawn 4 cells off and its border scrambled. The text area reads
    lines to measure, wrap, place the cursor and draw them; given the unjoined form (the same
    length, so columns still match), every terminal draws what Rich measured. `text` and
    edits keep the joiners, so what is sent is what was typed.
    """

    @property
    def lines(self) -> list[str]:
        return [unjoined(line) for line in self._lines]

    def __getitem__(self, line_index: int | slice) -> str | list[str]:  # type: ignore[override]
        if isinstance(line_index, slice):
            return [unjoined(line) for line in self._lines[line_index]]
        return unjoined(self._lines[line_index])

    def get_size(self, tab_width: int) -> Size:
        widths = [cell_len(unjoined(line).expandtabs(tab_width)) for line in self._lines]
        return Size(max(widths, default=0), len(self._lines))


class ComposerArea(TextArea):
    """The text area inside `Composer`; its keys are priority bindings so Enter beats newline.

    TextArea inserts a newline for Enter in its own key handler; priority bindings are checked
    before that, which lets Enter send while Shift+Enter / Ctrl+J still insert newlines. The ids
    match the action registry, so user keymaps remap them like any other action.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Send", id="send", priority=True),
        Binding("shift+enter,ctrl+j", "newline", "Newline", id="composer.newline", priority=True),
    ]

    def action_submit(self) -> None:
        composer = self.parent
        if isinstance(composer, Composer):
            # Priority bindings run as the key reaches the app, before keys typed just earlier
            # are inserted; queue the send behind them so a fast typist's text is whole.
            self.call_later(composer.submit)

    def action_newline(self) -> None:
        self.insert("\n")

    def _set_document(self, text: str, language: str | None) -> None:
        # The one place Textual 8.2.8 (pinned) builds a text area's document: use ours.
        super()._set_document(text, language)
        self.document = DisplayDocument(text)
        self.wrapped_document = WrappedDocument(self.document, tab_width=self.indent_width)
        self.navigator = DocumentNavigator(self.wrapped_document)
        self._rewrap_and_refresh_virtual_size()


class Composer(Vertical):
    """Where the user writes; shows which agent or model will receive the message.

    Posts `Composer.Submitted` on Enter with the text (never empty) and clears itself.
    """

    DEFAULT_CSS = """
    Composer { height: auto; max-height: 12; }
    Composer > .composer--target { height: 1; color: $text-muted; padding: 0 1; }
    Composer > ComposerArea { height: auto; min-height: 3; max-height: 10; }
    """

    target: reactive[str] = reactive("")

    class Submitted(Message):
        """The user sent `text` to `target`."""

        def __init__(self, composer: Composer, text: str, target: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text
            self.target = target

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(
        self, target: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(Composer.target, target)

    def compose(self) -> ComposeResult:
        yield Static(self._target_text(), classes="composer--target")
        yield ComposerArea(soft_wrap=True, placeholder="Message… (Enter sends, Ctrl+J newline)")

    @property
    def area(self) -> ComposerArea:
        """The text area itself (focus this)."""
        return self.query_one(ComposerArea)

    @property
    def text(self) -> str:
        """The text being written."""
        return self.area.text

    @text.setter
    def text(self, value: str) -> None:
        self.area.load_text(value)
        self.area.move_cursor(self.area.document.end)

    def submit(self) -> None:
        """Send the current text (ignored when blank) and clear the area."""
        text = self.text
        if not text.strip():
            return
        self.area.clear()
        self.post_message(self.Submitted(self, text, self.target))

    def _target_text(self) -> Text:
        label = Text("to ", style="dim")
        label.append(sanitize(self.target) or "(no agent)", style="bold")
        return label

    def watch_target(self) -> None:
        if self.is_mounted:
            self.query_one(".composer--target", Static).update(self._target_text())
