"""BranchTree: one node per run, safe at any depth, active path highlighted."""

from __future__ import annotations

from textual.widgets.tree import TreeNode

from ramify.tui.view_models import BranchRun, group_runs
from ramify.tui.widgets.branch_tree import MAX_NESTING, BranchTree
from tests.tui.hosts import HostApp, posted
from tests.tui.test_view_models import chain_with_forks


def tree_depth(tree: BranchTree) -> int:
    deepest = 0
    stack: list[tuple[TreeNode[BranchRun], int]] = [(n, 1) for n in tree.root.children]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children)
    return deepest


async def test_5000_message_chain_with_50_forks_renders_without_recursion_error() -> None:
    children, heads = chain_with_forks(5000, 50)
    runs = group_runs(["m0"], children, heads, active_head="m4999")
    app = HostApp(BranchTree)
    async with app.run_host(size=(100, 40)) as pilot:
        tree = app.query_one(BranchTree)
        tree.show_runs(runs)
        await pilot.pause()
        assert tree_depth(tree) == 51  # depth = fork levels, not messages
        assert tree.last_line >= 51
        cursor = tree.cursor_node
        assert cursor is not None
        assert cursor.data is not None
        assert cursor.data.active
        assert "main" in cursor.data.branches  # the cursor lands on the active head's run


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
        assert tree.last_line == 1001 - 1  # every run is one line
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
        assert "[[bold]x[/]]" in str(b2.label)
        assert "2/2" in str(b2.label)
        tree.focus()
        tree.move_cursor(b2)
        await pilot.press("enter")
        await pilot.pause()
        selected = posted(app, BranchTree.RunSelected)
        assert selected
        assert selected[-1].run.first == "b2"
        assert selected[-1].index == 1
