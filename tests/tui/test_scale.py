"""The IDE at scale, on real SQLite files: what must hold however big a session gets.

No timings are asserted here; `python -m benchmarks --only tui` measures them. The sessions
come from the benchmark's own builders, so the tests pin the shapes it measures.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList
from textual.widgets.tree import TreeNode

from benchmarks.tui_bench import build_branch, build_tree, expected_reply, parallel_team
from ramify.core import USER, Message, Node, SQLiteStore, Store
from ramify.tui.app import RamifyApp
from ramify.tui.screens import PickScreen, PromptScreen
from ramify.tui.view_models import BranchRun
from ramify.tui.widgets import AgentPanes, BranchTree, Composer, MessageWidget, Transcript
from ramify.tui.widgets.branch_tree import MAX_NESTING, Row
from tests.tui.ide import ide, navigate_mode, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

BRANCH = 10_000
WIDGET_CEILING = 400
TREE_NODES, BRANCH_POINTS = 100_000, 500


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "scale.db") as opened:
        yield opened


@pytest.fixture(scope="module")
def big_tree_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """A 100,000-node, 500-branch-point session, built once: (file, session id, the word of a
    deep search hit, the branch the hit heads)."""
    path = tmp_path_factory.mktemp("big-tree") / "tree.db"

    async def build() -> tuple[str, str, str]:
        async with SQLiteStore(path) as opened:
            session, word, branch = await build_tree(opened, TREE_NODES, BRANCH_POINTS)
            return session.id, word, branch

    return path, *asyncio.run(build())


@pytest.fixture
async def tree_store(
    big_tree_file: tuple[Path, str, str, str], tmp_path: Path
) -> AsyncIterator[Store]:
    """A private copy of the big tree (opening and jumping write UI state to it)."""
    copy = tmp_path / "tree.db"
    shutil.copyfile(big_tree_file[0], copy)
    async with SQLiteStore(copy) as opened:
        yield opened


async def shown(pilot: Pilot[Any]) -> None:
    """Until the transcript holds its page and the screen caught up."""
    app = pilot.app
    assert isinstance(app, RamifyApp)
    transcript = app.query_one(Transcript)
    await until(pilot, lambda: not transcript.paging and bool(transcript.views))
    await pilot.pause()


def check_window(app: RamifyApp, expected: list[tuple[Node, Message]]) -> None:
    """The mounted messages are exactly the store's path over the window, and few."""
    transcript = app.query_one(Transcript)
    start, stop = transcript.window
    mounted = [(view.node_hash, view.sender, view.text) for view in transcript.views]
    assert mounted == [(n.hash_key, n.sender, m.text) for n, m in expected[start:stop]]
    assert len(app.query(MessageWidget)) <= WIDGET_CEILING


async def test_10k_message_branch_mounts_a_window_and_home_end_show_the_store_path(
    store: Store,
) -> None:
    session = await build_branch(store, BRANCH)
    expected = await session.path_messages("main")
    async with ide(store, session_id=session.id) as (app, pilot):
        await shown(pilot)
        transcript = app.query_one(Transcript)
        assert transcript.window[1] == BRANCH
        check_window(app, expected)
        assert transcript.views[-1].node_hash == expected[-1][0].hash_key

        await navigate_mode(app, pilot)
        await pilot.press("home")
        await shown(pilot)
        assert transcript.window[0] == 0
        check_window(app, expected)

        await pilot.press("end")
        await shown(pilot)
        assert transcript.window[1] == BRANCH
        check_window(app, expected)
        assert transcript.views[-1].node_hash == expected[-1][0].hash_key
        assert transcript.is_following

        transcript.jump_to_start()
        await shown(pilot)
        assert transcript.window[0] == 0
        check_window(app, expected)


async def test_paging_up_through_a_10k_branch_keeps_every_message_in_order(store: Store) -> None:
    session = await build_branch(store, BRANCH)
    expected = await session.path_messages("main")
    async with ide(store, session_id=session.id) as (app, pilot):
        await shown(pilot)
        transcript = app.query_one(Transcript)
        await navigate_mode(app, pilot)
        app.animation_level = "none"  # Page Up jumps instead of gliding: ~0.6 s less per press
        seen = [view.node_hash for view in transcript.views]
        for _ in range(300):
            if len(seen) >= len(transcript.views) + 3 * transcript.page:
                break
            await pilot.press("pageup")
            await until(pilot, lambda: not transcript.paging)
            window = [view.node_hash for view in transcript.views]
            seen = window[: window.index(seen[0])] + seen
            check_window(app, expected)
        assert len(seen) >= len(transcript.views) + 3 * transcript.page  # three windows back
        assert seen == [node.hash_key for node, _ in expected[len(expected) - len(seen) :]]


async def test_eight_agents_streaming_at_once_all_finish_and_are_recorded(store: Store) -> None:
    agents, tokens = 8, 2_000
    async with ide(store, parallel_team(agents, tokens)) as (app, pilot):
        composer = app.query_one(Composer)
        composer.area.focus()
        composer.text = "all of you, go"
        await pilot.press("enter")
        panes = app.query_one(AgentPanes)
        controller = app.controller
        assert controller is not None

        def finished() -> bool:
            return len(controller.path) == 1 + agents and not app.inquiries and not panes.keys

        await until(pilot, finished, limit=90)
        await shown(pilot)
        recorded = await controller.session.path_messages(controller.branch)
        assert (recorded[0][0].sender, recorded[0][1].text) == (USER, "all of you, go")
        replies = {node.sender: message.text for node, message in recorded[1:]}
        assert replies == {f"AGENT-{k}": expected_reply(k, tokens) for k in range(agents)}
        assert [view.text for view in app.query_one(Transcript).views] == [
            message.text for _, message in recorded
        ]


def cursor_run(tree: BranchTree) -> BranchRun | None:
    """The run under the tree pane's cursor (for a branch row, the run it ends in)."""
    node = tree.cursor_node
    if node is not None and not isinstance(node.data, BranchRun):
        node = node.parent
    return node.data if node is not None and isinstance(node.data, BranchRun) else None


def runs_in(tree: BranchTree) -> tuple[int, int]:
    """(run rows, deepest level of runs) of the whole tree, walked without recursion."""
    count, deepest = 0, 0
    stack: list[tuple[TreeNode[Row], int]] = [(node, 1) for node in tree.root.children]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node.data, BranchRun):
            continue  # a branch row, under the run it ends in
        count += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children)
    return count, deepest


async def test_100k_node_tree_with_500_branch_points_opens_in_the_full_app(
    tree_store: Store, big_tree_file: tuple[Path, str, str, str]
) -> None:
    _, session_id, _, _ = big_tree_file
    async with ide(tree_store, session_id=session_id) as (app, pilot):
        await shown(pilot)
        tree = app.query_one(BranchTree)
        await until(pilot, lambda: cursor_run(tree) is not None)
        assert runs_in(tree) == (2 * BRANCH_POINTS + 1, MAX_NESTING)  # one line per run
        run = cursor_run(tree)
        assert run is not None
        assert "main" in run.branches  # the cursor is on the checked-out head's run
        assert app.query_one(Transcript).window[1] == len(app.controller.path)
        tree.focus()
        await pilot.press("end", "home", "down")
        assert tree.cursor_line == 1


async def test_jumping_to_a_deep_search_hit_selects_it_on_its_branch(
    tree_store: Store, big_tree_file: tuple[Path, str, str, str]
) -> None:
    _, session_id, word, branch = big_tree_file
    async with ide(tree_store, session_id=session_id) as (app, pilot):
        await shown(pilot)
        controller = app.controller
        assert controller is not None
        await navigate_mode(app, pilot)
        await pilot.press("slash")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one("#prompt-input").value = word  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        hits = app.screen.items  # type: ignore[attr-defined]
        assert len(hits) == 1
        assert f"[{branch}]" in hits[0][1]
        app.screen.query_one(OptionList).highlighted = 0
        await pilot.press("enter")
        target = hits[0][0]
        await until(pilot, lambda: controller.selected_hash == target)
        await shown(pilot)
        assert controller.branch == branch
        assert controller.selected > TREE_NODES // 2  # deep: most of the tree lies above it
        assert word in await controller.text_of(target)
        selected = [w.node_hash for w in app.query(MessageWidget) if w.selected]
        assert selected == [target]
        assert len(app.query(MessageWidget)) <= WIDGET_CEILING
        tree = app.query_one(BranchTree)
        # The tree pane follows the transcript, onto the run the hit ends.
        await until(pilot, lambda: getattr(cursor_run(tree), "last", None) == target)
