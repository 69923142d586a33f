"""A modal for a run waiting at an interrupt: approve tool calls (allow once, allow always,
reject) or go on past a breakpoint (continue, with the pending text edited or not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea


@dataclass(frozen=True, slots=True)
class InterruptView:
    """What the modal shows of one waiting interrupt.

    Args:
        node: the interrupt node's hash (what the answer goes under).
        kind: ``approval`` or ``breakpoint``.
        title: one line: what stopped, and where.
        calls: the tool calls it concerns, as (tool name, arguments as the model wrote them).
        pending: the text an edit replaces (None: a breakpoint with nothing to edit).
    """

    node: str
    kind: str
    title: str
    calls: tuple[tuple[str, str], ...] = ()
    pending: str | None = None


@dataclass(frozen=True, slots=True)
class InterruptChoice:
    """The answer: a decision, and the edited text (None: not edited)."""

    decision: str
    edited: str | None = None


_APPROVAL_BUTTONS = (
    ("allow_once", "Allow once", "primary"),
    ("allow_always", "Allow always", "warning"),
    ("reject", "Reject", "error"),
)


class InterruptScreen(ModalScreen[InterruptChoice | None]):
    """Dismisses with the answer, or None on Escape (the run keeps waiting; `w` shows it again).

    Keys: an approval takes ``o`` (allow once), ``a`` (allow always), ``r`` (reject); a
    breakpoint ``ctrl+enter`` or the Continue button (an edit in the box goes with it).
    Arguments and texts come from a model and render literally.
    """

    DEFAULT_CSS = """
    InterruptScreen { align: center middle; }
    InterruptScreen > Vertical {
        width: 80%; height: auto; max-height: 80%; border: round $warning;
        background: $surface; padding: 0 1;
    }
    InterruptScreen #interrupt-calls { height: auto; max-height: 12; }
    InterruptScreen TextArea { height: 8; }
    InterruptScreen #interrupt-buttons { height: auto; align-horizontal: right; }
    InterruptScreen Button { margin: 1 0 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave waiting", show=False),
        Binding("o", "decide('allow_once')", "Allow once", show=False),
        Binding("a", "decide('allow_always')", "Allow always", show=False),
        Binding("r", "decide('reject')", "Reject", show=False),
        Binding("ctrl+enter", "decide('continue')", "Continue", show=False, priority=True),
    ]

    def __init__(self, view: InterruptView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        with Vertical():
            yield Static(Text(view.title, style="bold"), id="interrupt-title")
            with VerticalScroll(id="interrupt-calls"):
                for name, arguments in view.calls:
                    line = Text(name, style="bold")
                    line.append(f"({arguments})", style="")
                    yield Static(line, classes="interrupt-call")
            if view.kind == "approval":
                hint = "o allow once · a allow always · r reject · Esc leaves it waiting"
            else:
                hint = "Continue goes on (with your edit, if any) · Esc leaves it waiting"
            if view.kind == "breakpoint" and view.pending is not None:
                yield TextArea(view.pending, soft_wrap=True, id="interrupt-edit")
            yield Static(Text(hint, style="dim"))
            with Horizontal(id="interrupt-buttons"):
                if view.kind == "approval":
                    for decision, label, variant in _APPROVAL_BUTTONS:
                        yield Button(label, variant=variant, id=f"interrupt-{decision}")  # type: ignore[arg-type]
                else:
                    yield Button("Continue", variant="primary", id="interrupt-continue")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_decide((event.button.id or "").removeprefix("interrupt-"))

    def action_decide(self, decision: str) -> None:
        approval = self.view.kind == "approval"
        if approval != (decision != "continue"):
            return
        edited = None
        if not approval and self.view.pending is not None:
            text = self.query_one("#interrupt-edit", TextArea).text
            edited = text if text != self.view.pending else None
        self.dismiss(InterruptChoice(decision, edited))

    def action_leave(self) -> None:
        self.dismiss(None)
