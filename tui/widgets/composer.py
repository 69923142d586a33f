"""The message composer: a multi-line text area where Enter sends."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from ramify.tui.sanitize import sanitize
from ramify.tui.widgets.display_text_area import DisplayTextArea


class ComposerArea(DisplayTextArea):
    """The text area inside `Composer`; its keys are priority bindings so Enter beats newline.

    TextArea inserts a newline for Enter in its own key handler; priority bindings are checked
    before that, which lets Enter send while Ctrl+J (which every terminal sends) and Shift+Enter
    (where the terminal tells it apart) insert newlines. The ids match the action registry, so
    user keymaps remap them like any other action.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Send", id="send", priority=True),
        Binding("ctrl+j,shift+enter", "newline", "Newline", id="composer.newline", priority=True),
    ]

    def action_submit(self) -> None:
        composer = self.parent
        if isinstance(composer, Composer):
            # Priority bindings run as the key reaches the app, before keys typed just earlier
            # are inserted; queue the send behind them so a fast typist's text is whole.
            self.call_later(composer.submit)

    def action_newline(self) -> None:
        self.insert("\n")


class Composer(Vertical):
    """Where the user writes; shows which agent or model will receive the message.

    Posts `Composer.Submitted` on Enter with the text (never empty) and clears itself.
    """

    DEFAULT_CSS = """
    Composer { height: auto; max-height: 12; }
    Composer > .composer--target { height: 1; color: $text-muted; padding: 0 1; }
    Composer > ComposerArea { height: auto; min-height: 3; max-height: 10; }
    Composer.-navigating > .composer--target { background: $warning; color: $background; }
    Composer.-navigating > ComposerArea { opacity: 60%; }
    """

    target: reactive[str] = reactive("")
    navigating: reactive[bool] = reactive(False)
    """Navigate mode is on: the header says so and how to get back to typing."""

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
        if self.navigating:
            return Text(
                "NAVIGATE  h j k l move · [ ] branch points · f fork · e edit · b branches · "
                "/ search · Esc or Enter: back to typing",
                style="bold",
            )
        label = Text("to ", style="dim")
        label.append(sanitize(self.target) or "(no agent)", style="bold")
        return label

    def watch_navigating(self, on: bool) -> None:
        self.set_class(on, "-navigating")
        self.watch_target()

    def watch_target(self) -> None:
        if self.is_mounted:
            self.query_one(".composer--target", Static).update(self._target_text())
