"""The IDE at 80x24 and up: the branches pane, the inspector, the path bar, toasts, team panes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets._toast import Toast

from ramify.core import Ramify, Session, SQLiteStore, Store, UserMessage
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.widgets import AgentPanes, BranchTree, Composer, Inspector, Transcript
from ramify.tui.widgets.agent_panes import MIN_PANE_WIDTH
from tests.tui.hosts import HostApp
from tests.tui.ide import Gate, echo, ide, send, until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


async def test_branches_pane_stands_aside_at_80_columns_and_shows_from_100(store: Store) -> None:
    async with ide(store, size=(80, 24)) as (app, pilot):
        assert app.screen.has_class("-narrow")
        assert not app.tree_pane.display
        assert app.query_one(Transcript).region.width == 80
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.tree_pane.display
        assert app.tree_pane.outer_size.width == 30  # a quarter, not half the screen


async def test_ctrl_b_hides_the_branches_pane_and_brings_focus_back_to_the_composer(
    store: Store,
) -> None:
    async with ide(store, size=(120, 40)) as (app, pilot):
        app.query_one(BranchTree).focus()
        await pilot.press("ctrl+b")
        assert not app.tree_pane.display
        assert app.focused is app.query_one(Composer).area
        await pilot.press("ctrl+b")
        assert app.tree_pane.display


async def test_a_branches_pane_shown_on_a_narrow_screen_stays_through_resizes(
    store: Store,
) -> None:
    async with ide(store, size=(80, 24)) as (app, pilot):
        await app.run_action("tree_toggle")
        await pilot.pause()
        assert app.tree_pane.display
        await pilot.resize_terminal(130, 40)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.tree_pane.display


async def test_f8_and_f9_resize_the_branches_pane_within_bounds(store: Store) -> None:
    async with ide(store, size=(120, 40)) as (app, pilot):
        start = app.tree_pane.outer_size.width
        await pilot.press("f9")
        await pilot.pause()
        assert app.tree_pane.outer_size.width == start + 4
        for _ in range(30):
            await pilot.press("f9")
        await pilot.pause()
        assert app.tree_pane.outer_size.width == 120 - 30  # the transcript keeps 30 columns
        for _ in range(40):
            await pilot.press("f8")
        await pilot.pause()
        assert app.tree_pane.outer_size.width == 16


async def test_inspector_floats_over_the_transcript_at_80_columns(store: Store) -> None:
    async with ide(store, size=(80, 24)) as (app, pilot):
        await send(app, pilot, "hello")
        await app.action_inspector_toggle()
        await pilot.pause()
        inspector = app.query_one(Inspector)
        assert inspector.display
        assert inspector.layer == "overlay"
        assert app.query_one(Transcript).region.width == 80  # not squeezed to one column


async def test_inspector_sits_beside_a_readable_transcript_at_120_columns(store: Store) -> None:
    async with ide(store, size=(120, 40)) as (app, pilot):
        await send(app, pilot, "hello")
        await app.action_inspector_toggle()
        await pilot.pause()
        inspector = app.query_one(Inspector)
        transcript = app.query_one(Transcript).region
        assert inspector.layer != "overlay"
        assert transcript.right <= inspector.region.x
        assert transcript.width >= 40


async def test_path_bar_keeps_one_line_at_80_columns(store: Store) -> None:
    session = await Session.create(store, title="A rather long title for a session " * 3)
    await session.append(UserMessage(text="hi"))
    async with ide(store, session_id=session.id, size=(80, 24)) as (app, pilot):
        await until(pilot, lambda: bool(app.query_one(Transcript).views))
        bar = app.query_one("#path-bar")
        assert bar.region.height == 1
        assert "…" in str(bar.render())


async def test_composer_hint_shows_whole_at_80x24(store: Store) -> None:
    async with ide(store, size=(80, 24)) as (app, _pilot):
        area = app.query_one(Composer).area
        assert area.region.width >= len(area.placeholder) + 4  # borders and padding
        assert area.region.bottom <= 23  # above the footer


async def test_toasts_show_at_the_top_away_from_the_composer(store: Store) -> None:
    async def opener(opened: Store) -> SessionController:
        return await SessionController.open(opened, None, echo)

    app = RamifyApp(store, opener)
    async with Ramify(), app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify("Branch idea created at 0123abcd.")
        await until(pilot, lambda: bool(app.screen.query(Toast)))
        toast = app.screen.query_one(Toast)
        assert not toast.region.overlaps(app.query_one(Composer).region)
        assert toast.region.y <= 2
        assert app.NOTIFICATION_TIMEOUT <= 3


async def test_long_branch_labels_leave_no_scrollbar_under_the_tree(store: Store) -> None:
    session = await Session.create(store, title="t")
    root = await session.append(UserMessage(text="A first question that is quite long indeed"))
    for name in ("a-branch-with-a-long-name", "another-branch-with-a-long-name"):
        await session.fork(root, name)
        await session.append(UserMessage(text="and a long follow-up message " * 3), branch=name)
    async with ide(store, session_id=session.id, size=(100, 24)) as (app, pilot):
        tree = app.query_one(BranchTree)
        await until(pilot, lambda: len(tree.root.children) > 0)
        await pilot.pause()
        assert tree.virtual_size.width > tree.size.width  # labels are wider than the pane
        assert not tree.show_horizontal_scrollbar


async def test_team_panes_stack_when_each_would_get_under_30_columns() -> None:
    app = HostApp(lambda: AgentPanes())
    async with app.run_host(size=(80, 24)) as pilot:
        panes = app.query_one(AgentPanes)
        for alias in ("ANALYST", "CRITIC"):
            await panes.open_pane(alias, alias)
        await pilot.pause()
        assert not panes.has_class("-stacked")
        assert all(panes.pane(key).outer_size.width >= MIN_PANE_WIDTH for key in panes.keys)
        await panes.open_pane("WRITER", "WRITER")
        await pilot.pause()
        assert panes.has_class("-stacked")
        assert all(panes.pane(key).outer_size.width == 80 for key in panes.keys)
        await pilot.resize_terminal(120, 24)
        await pilot.pause()
        assert not panes.has_class("-stacked")


async def test_a_known_price_shows_as_a_cost_in_the_live_pane(store: Store) -> None:
    config = Path(os.environ["RAMIFY_CONFIG"])
    config.write_text('[models.GATED]\nprovider = "openai"\noutput_price = 500.0\n')
    gate = Gate(before=("one ", "two"))
    async with ide(store, target=gate.agent, size=(120, 40)) as (app, pilot):
        composer = app.query_one(Composer)
        composer.text = "go"
        await pilot.press("enter")
        panes = app.query_one(AgentPanes)
        await until(pilot, lambda: bool(panes.keys) and panes.pane(panes.keys[0]).text != "")
        await gate.started.wait()
        pane = panes.pane(panes.keys[0])
        await until(pilot, lambda: pane.header.state.tokens == 2)
        assert pane.header.state.cost == pytest.approx(2 * 500.0 / 1_000_000)
        assert "~$0.0010" in str(pane.header.render())
        gate.release()
