"""The conversation tree: one row per run of messages between branch points, one per branch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ramify.tui.sanitize import snippet
from ramify.tui.view_models import BranchRun

MAX_NESTING = 200
"""Deepest tree level used; deeper runs continue at this level.

`Tree._build` recurses once per expanded level, and ~1,000 levels raise `RecursionError`
(research/tui-anchors.md §3.3). Nesting by fork level keeps depth small in practice; this cap keeps
a pathological fork-of-a-fork-of-... chain safe too.
"""


@dataclass(frozen=True, slots=True)
class BranchRow:
    """One branch in the tree pane: its name, where it ends and whether it is checked out."""

    name: str
    head: str
    ends: str
    active: bool


Row = BranchRun | BranchRow


def run_label(run: BranchRun, *, selected: bool = False) -> Text:
    """`▶ 2/3 first words… ·12 ⑂3`, built from literal `Text` parts.

    What tells runs apart comes first (the selection mark, sibling position), so a narrow pane
    cuts the snippet, not the facts. Runs on the active branch's path are bold.
    """
    label = Text(no_wrap=True, overflow="ellipsis")
    if selected:
        label.append("▶ ", style="bold reverse")
    if run.sibling_count > 1:
        label.append(f"{run.sibling_index}/{run.sibling_count} ", style="bold")
    label.append(snippet(run.snippet, 24) or run.first[:8], style="bold" if run.active else "dim")
    label.append(f" ·{run.length}", style="dim")
    if len(run.children) > 1:
        label.append(f" ⑂{len(run.children)}", style="yellow")
    return label


def branch_label(row: BranchRow) -> Text:
    """`● main → last words…`: one branch per row, saying where it ends."""
    label = Text(no_wrap=True, overflow="ellipsis")
    label.append("● " if row.active else "⑂ ", style="bold cyan" if row.active else "dim")
    label.append(snippet(row.name, 24), style="bold green" if row.active else "green")
    label.append(" → ", style="dim")
    label.append(snippet(row.ends, 24) or row.head[:8], style="" if row.active else "dim")
    return label


class BranchTree(Tree[Row]):
    """The session's conversation tree: one row per `BranchRun`, and under the run where each
    branch ends, one row per branch. The active path is expanded and bold, the run holding the
    selected message is marked, and the checked-out branch's row carries the cursor.

    Built iteratively, so depth never touches Python's recursion limit; tree depth equals the
    number of fork levels (capped at `MAX_NESTING`).
    """

    DEFAULT_CSS = """
    BranchTree { width: 1fr; }
    """

    class RunSelected(Message):
        """The reader picked a run; the transcript should show path index `index`."""

        def __init__(self, tree: BranchTree, run: BranchRun) -> None:
            super().__init__()
            self.tree = tree
            self.run = run

        @property
        def control(self) -> BranchTree:
            return self.tree

        @property
        def index(self) -> int:
            """Path index of the run's first message."""
            return self.run.start_index

    class BranchSelected(Message):
        """The reader picked a branch row: check out branch `name`."""

        def __init__(self, tree: BranchTree, name: str) -> None:
            super().__init__()
            self.tree = tree
            self.name = name

        @property
        def control(self) -> BranchTree:
            return self.tree

    def __init__(
        self, label: str = "session", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(Text(label), id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2
        self._by_first: dict[str, TreeNode[Row]] = {}
        self._active_runs: list[TreeNode[Row]] = []
        self._marked: TreeNode[Row] | None = None

    def show_runs(
        self,
        roots: Sequence[BranchRun],
        ends: Mapping[str, str] | None = None,
        active_branch: str = "",
        selected_index: int | None = None,
    ) -> None:
        """Replace the tree with these runs and their branches.

        Args:
            roots: the top-level runs.
            ends: branch name -> a label of its head message (where it ends).
            active_branch: the branch checked out (its row gets the cursor).
            selected_index: path index of the selected message, marked on its run.
        """
        ends = ends or {}
        self.clear()
        self._by_first.clear()
        self._active_runs = []
        self._marked = None
        cursor: TreeNode[Row] | None = None
        deepest: TreeNode[Row] | None = None
        stack: list[tuple[TreeNode[Row], BranchRun, int]] = [
            (self.root, run, 1) for run in reversed(roots)
        ]
        while stack:
            parent, run, depth = stack.pop()
            holds_rows = bool(run.children or run.branches)
            node = parent.add(
                run_label(run), data=run, expand=run.active or not run.children,
                allow_expand=holds_rows,
            )  # fmt: skip
            self._by_first[run.first] = node
            if run.active:
                self._active_runs.append(node)
                deepest = node  # the active runs come root first
            for name, head in zip(run.branches, run.heads, strict=True):
                row = BranchRow(name, head, ends.get(name, ""), name == active_branch)
                leaf = node.add_leaf(branch_label(row), data=row)
                if row.active:
                    cursor = leaf
            target, child_depth = (node, depth + 1) if depth < MAX_NESTING else (parent, depth)
            for child in reversed(run.children):
                stack.append((target, child, child_depth))
        self.root.expand()
        if selected_index is not None:
            self.mark_selected(selected_index)
        cursor = cursor or deepest
        if cursor is not None:
            # Node line numbers exist only after the tree has rebuilt its lines.
            self.call_after_refresh(self.move_cursor, cursor)

    def mark_selected(self, index: int) -> None:
        """Mark the active path's run that holds path index `index` (the selected message)."""
        found: TreeNode[Row] | None = None
        for node in self._active_runs:
            run = node.data
            if (
                isinstance(run, BranchRun)
                and run.start_index <= index < run.start_index + run.length
            ):
                found = node
                break
        if found is self._marked:
            return
        marks: tuple[tuple[TreeNode[Row] | None, bool], ...] = (
            (self._marked, False),
            (found, True),
        )
        for marked, selected in marks:
            if marked is not None and isinstance(marked.data, BranchRun):
                marked.set_label(run_label(marked.data, selected=selected))
        self._marked = found

    @property
    def marked(self) -> BranchRun | None:
        """The run marked as holding the selected message."""
        data = self._marked.data if self._marked is not None else None
        return data if isinstance(data, BranchRun) else None

    def node_for(self, first: str) -> TreeNode[Row] | None:
        """The tree node of the run starting at node hash `first`."""
        return self._by_first.get(first)

    def branch_rows(self) -> list[BranchRow]:
        """Every branch row, in display order."""
        rows: list[BranchRow] = []
        stack = list(reversed(self.root.children))
        while stack:
            node = stack.pop()
            if isinstance(node.data, BranchRow):
                rows.append(node.data)
            stack.extend(reversed(node.children))
        return rows

    def on_tree_node_selected(self, event: Tree.NodeSelected[Row]) -> None:
        event.stop()
        data = event.node.data
        if isinstance(data, BranchRun):
            self.post_message(self.RunSelected(self, data))
        elif isinstance(data, BranchRow):
            self.post_message(self.BranchSelected(self, data.name))
