"""The conversation tree: one tree node per run of messages between branch points."""

from __future__ import annotations

from collections.abc import Sequence

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


def run_label(run: BranchRun) -> Text:
    """`2/3 [main] first words… ·12 ⑂3 ●`, built from literal `Text` parts.

    What tells runs apart comes first (sibling position, branch names), so a narrow pane cuts
    the snippet, not the facts.
    """
    label = Text(no_wrap=True, overflow="ellipsis")
    if run.sibling_count > 1:
        label.append(f"{run.sibling_index}/{run.sibling_count} ", style="bold")
    for name in run.branches:
        label.append(f"[{snippet(name, 20)}] ", style="bold green" if run.active else "green")
    label.append(snippet(run.snippet, 24) or run.first[:8], style="bold" if run.active else "")
    label.append(f" ·{run.length}", style="dim")
    if len(run.children) > 1:
        label.append(f" ⑂{len(run.children)}", style="yellow")
    if run.active:
        label.append(" ●", style="bold cyan")
    return label


class BranchTree(Tree[BranchRun]):
    """The session's conversation tree, one node per `BranchRun`, active path expanded.

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

    def __init__(
        self, label: str = "session", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(Text(label), id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2
        self._by_first: dict[str, TreeNode[BranchRun]] = {}

    def show_runs(self, roots: Sequence[BranchRun]) -> None:
        """Replace the tree with these runs; runs on the active path start expanded."""
        self.clear()
        self._by_first.clear()
        active_node: TreeNode[BranchRun] | None = None
        active_run: BranchRun | None = None
        stack: list[tuple[TreeNode[BranchRun], BranchRun, int]] = [
            (self.root, run, 1) for run in reversed(roots)
        ]
        while stack:
            parent, run, depth = stack.pop()
            node = parent.add(run_label(run), data=run, expand=run.active, allow_expand=False)
            self._by_first[run.first] = node
            # The cursor goes to the active path's last run, where the active head lies.
            if run.active and (active_run is None or active_run.start_index < run.start_index):
                active_node, active_run = node, run
            if not run.children:
                continue
            node.allow_expand = True
            target, child_depth = (node, depth + 1) if depth < MAX_NESTING else (parent, depth)
            for child in reversed(run.children):
                stack.append((target, child, child_depth))
        self.root.expand()
        if active_node is not None:
            # Node line numbers exist only after the tree has rebuilt its lines.
            self.call_after_refresh(self.move_cursor, active_node)

    def node_for(self, first: str) -> TreeNode[BranchRun] | None:
        """The tree node of the run starting at node hash `first`."""
        return self._by_first.get(first)

    def on_tree_node_selected(self, event: Tree.NodeSelected[BranchRun]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.RunSelected(self, event.node.data))
