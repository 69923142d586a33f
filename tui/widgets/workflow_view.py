"""The workflow view: a workflow's states and their tasks as a board, with live task status."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ramify.tui.workflow_board import BoardState

__all__ = ["WorkflowView"]

# Status (the values of `ramify.core.workflow.TaskStatus`, and ``breakpoint``: waiting at one,
# not for its inputs) -> glyph and style.
_GLYPHS = {
    "pending": ("·", "dim"),
    "waiting": ("…", "yellow"),
    "breakpoint": ("⏸", "bold yellow"),
    "running": ("▶", "bold reverse"),
    "done": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "cancelled": ("⊘", "magenta"),
}


class WorkflowView(OptionList):
    """One row per state (where it may go next after it) and one per task (its inputs after
    it), each task marked with its status, the running ones highlighted. Enter on a task posts
    `TaskChosen` with its latest output node.

    Names come from the user's workflow file: rows are `Text`, never parsed as markup.
    """

    DEFAULT_CSS = """
    WorkflowView { height: auto; max-height: 40%; border: round $secondary; }
    WorkflowView.-hidden { display: none; }
    """

    class TaskChosen(Message):
        """Enter on a task: `node` is its latest output (or error) node, None if it has none."""

        def __init__(self, state: str, task: str, node: str | None) -> None:
            super().__init__()
            self.state = state
            self.task = task
            self.node = node

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.workflow: str | None = None
        self.statuses: dict[tuple[str, str], str] = {}
        self.nodes: dict[tuple[str, str], str] = {}
        self.outcome = ""
        self._upstream: dict[tuple[str, str], tuple[str, ...]] = {}
        self._holds: dict[tuple[str, str], str] = {}
        # Option id of each task's row (ids by position: names may hold any character).
        self._row_ids: dict[tuple[str, str], str] = {}

    def show_workflow(self, name: str, board: Sequence[BoardState]) -> None:
        """Lay out workflow `name`'s board, every task pending."""
        self.workflow = name
        self.outcome = "running"
        self.nodes = {}
        self._upstream = {(s.name, t.name): t.upstream for s in board for t in s.tasks}
        self._holds = {(s.name, t.name): t.holds for s in board for t in s.tasks}
        self.statuses = dict.fromkeys(self._upstream, "pending")
        self._row_ids = {key: f"task-{index}" for index, key in enumerate(self._upstream)}
        self.clear_options()
        for index, state in enumerate(board):
            self.add_option(Option(_state_row(state), id=f"state-{index}"))
            for task in state.tasks:
                key = (state.name, task.name)
                self.add_option(Option(self._task_row(key), id=self._row_ids[key]))
        self._retitle()

    def update_task(self, state: str, task: str, status: str, node: str | None = None) -> None:
        """Show a task's new status (and remember its output node)."""
        key = (state, task)
        if key not in self.statuses:
            return
        self.statuses[key] = status
        if node is not None:
            self.nodes[key] = node
        self.replace_option_prompt(self._row_ids[key], self._task_row(key))

    def finish(self, outcome: str) -> None:
        """The run ended (done, failed, cancelled): say so in the title."""
        self.outcome = outcome
        self._retitle()

    @property
    def running(self) -> list[tuple[str, str]]:
        """Tasks running now, in board order."""
        return [key for key, status in self.statuses.items() if status == "running"]

    def row_of(self, state: str, task: str) -> int:
        """The option index of a task's row (to highlight it)."""
        return self.get_option_index(self._row_ids[(state, task)])

    def _retitle(self) -> None:
        self.border_title = Text(f"workflow {self.workflow or ''}: {self.outcome}")

    def _task_row(self, key: tuple[str, str]) -> Text:
        status = self.statuses[key]
        glyph, style = _GLYPHS.get(status, ("?", ""))
        row = Text("  ")
        row.append(f"{glyph} {key[1]}", style=style)
        row.append(f"  {status}", style="dim")
        if self._holds.get(key):
            row.append(f" [{self._holds[key]}]", style="dim italic")
        if self._upstream[key]:
            row.append(" ← " + ", ".join(self._upstream[key]), style="dim")
        return row

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        for (state, task), row_id in self._row_ids.items():
            if row_id == event.option.id:
                self.post_message(self.TaskChosen(state, task, self.nodes.get((state, task))))
                return


def _state_row(state: BoardState) -> Text:
    row = Text(state.name, style="bold")
    if state.final:
        row.append(" (final)", style="dim")
    if state.next_states:
        row.append(" → " + ", ".join(state.next_states), style="dim")
    return row
