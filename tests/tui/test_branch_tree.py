"""BranchTree: one node per run, safe at any depth, active path highlighted."""

from __future__ import annotations

from textual.widgets.tree import TreeNode

from ramify.tui.view_models import BranchRun, group_runs
from ramify.tui.widgets.branch_tree import MAX_NESTING, BranchRow, BranchTree, Row
from tests.tui.hosts import HostApp, posted
from tests.tui.test_view_models import chain_with_forks


def tree_depth(tree: BranchTree) -> int:
    """Levels of runs (branch rows hang under their run and add no level of their own)."""
    deepest = 0
    stack: list[tuple[TreeNode[Row], int]] = [(n, 1) for n in tree.root.children]
    while stack:
        node, depth = stack.pop()
        if isinstance(node.data, BranchRun):
            deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children)
    return deepest


async def test_5000_message_chain_with_50_forks_renders_without_recursion_error() -> None:
    children, heads = chain_with_forks(5000, 50)
    runs = group_runs(["m0"], children, heads, active_head="m4999")
    app = HostApp(BranchTree)
    async with app.run_host(size=(100, 40)) as pilot:
        tree = app.query_one(BranchTree)
        tree.show_runs(runs, active_branch="main")
        await pilot.pause()
        assert tree_depth(tree) == 51  # depth = fork levels, not messages
        assert tree.last_line >= 51
        cursor = tree.cursor_node
        assert cursor is not None
        # The cursor lands on the row of the branch checked out, under the run it ends in.
        assert cursor.data == BranchRow("main", "m4999", "", active=True)
        assert cursor.parent is not None
        assert cursor.parent.data.active  # type: ignore[union-attr]


async def test_100k_nodes_and_500_branch_points_build_and_expand() -> None:
    children, _ = chain_with_forks(100_000, 0)
    for f in range(500):
        children[f"m{f * 200 + 100}"].append(f"x{f}")
    runs = group_runs(["m0"], children, {"main": "m99999"}, active_head="m99999")
    app = HostApp(BranchTree)
    async with app.run_host(size=(100, 40)) as pilot:
        tree = app.query_one(BranchTree)
        tree.show_runs(runs)
        await pilot.pause()
        assert tree_depth(tree) == MAX_NESTING  # nesting capped; the rest continues flat
        tree.root.expand_all()
        await pilot.pause()
        assert tree.last_line == 1001 + 1 - 1  # every run is one line, and `main` one more
        await pilot.press("end", "up", "down")


async def test_labels_show_markup_literally_and_selection_posts_run() -> None:
    children = {"a": ["b1", "b2"]}
    runs = group_runs(["a"], children, {"[bold]x[/]": "b2"}, "b2", snippets={"a": "[red]hi\x1b[0m"})
    app = HostApp(BranchTree)
    async with app.run_host() as pilot:
        tree = app.query_one(BranchTree)
        tree.show_runs(runs)
        await pilot.pause()
        labels = [str(node.label) for node in tree.root.children]
        assert labels[0].startswith("[red]hi\u241b[0m")
        b2 = tree.node_for("b2")
        assert b2 is not None
        assert "2/2" in str(b2.label)
        assert [str(row.label) for row in b2.children] == ["⑂ [bold]x[/] → b2"]
        tree.focus()
        tree.move_cursor(b2)
        await pilot.press("enter")
        await pilot.pause()
        selected = posted(app, BranchTree.RunSelected)
        assert selected
        assert selected[-1].run.first == "b2"
        assert selected[-1].index == 1


def _fork_at_root() -> tuple[dict[str, list[str]], dict[str, str]]:
    # a -> b -> c (main, ends "third"), and a -> x (alt, ends "other"), and "side" at b.
    return {"a": ["b", "x"], "b": ["c"]}, {"main": "c", "side": "b", "alt": "x"}


async def test_each_branch_has_its_own_row_saying_where_it_ends_and_enter_picks_it() -> None:
    children, heads = _fork_at_root()
    runs = group_runs(["a"], children, heads, "c", snippets={"a": "## Title", "b": "B", "x": "X"})
    ends = {"main": "third", "side": "second", "alt": "other"}
    app = HostApp(BranchTree)
    async with app.run_host() as pilot:
        tree = app.query_one(BranchTree)
        tree.show_runs(runs, ends, active_branch="main")
        await pilot.pause()
        rows = tree.branch_rows()
        assert [(row.name, row.ends, row.active) for row in rows] == [
            ("side", "second", False),
            ("main", "third", True),
            ("alt", "other", False),
        ]
        labels = {row.data.name: str(row.label) for row in _rows(tree)}  # type: ignore[union-attr]
        assert labels["main"] == "● main → third"
        assert labels["alt"] == "⑂ alt → other"
        tree.focus()
        for name in ("side", "alt"):
            tree.move_cursor(next(r for r in _rows(tree) if r.data.name == name))  # type: ignore[union-attr]
            await pilot.press("enter")
            await pilot.pause()
            assert posted(app, BranchTree.BranchSelected)[-1].name == name


async def test_the_run_holding_the_selected_message_is_marked() -> None:
    children, heads = _fork_at_root()
    runs = group_runs(["a"], children, heads, "c", snippets={"a": "A", "b": "B", "x": "X"})
    app = HostApp(BranchTree)
    async with app.run_host() as pilot:
        tree = app.query_one(BranchTree)
        tree.show_runs(runs, active_branch="main", selected_index=2)
        await pilot.pause()
        assert tree.marked is not None
        assert tree.marked.first == "b"
        assert str(tree.node_for("b").label).startswith("▶ ")  # type: ignore[union-attr]
        tree.mark_selected(0)
        assert tree.marked is not None
        assert tree.marked.first == "a"
        assert not str(tree.node_for("b").label).startswith("▶ ")  # type: ignore[union-attr]
        assert str(tree.node_for("a").label).startswith("▶ ")  # type: ignore[union-attr]


def _rows(tree: BranchTree) -> list[TreeNode[Row]]:
    found: list[TreeNode[Row]] = []
    stack = list(tree.root.children)
    while stack:
        node = stack.pop()
        if isinstance(node.data, BranchRow):
            found.append(node)
        stack.extend(node.children)
    return found
