"""Navigation shows what it selects and says when it cannot move; first-run and picker details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ramify.core import SQLiteStore, Store
from ramify.tui.app import RamifyApp
from ramify.tui.palette import ActionCommands, AgentCommands
from ramify.tui.screens import PickScreen
from ramify.tui.widgets import BranchTree, MessageWidget, Transcript
from ramify.tui.widgets.welcome import Welcome
from tests.tui.ide import echo, ide, navigate_mode, send, until

pytestmark = pytest.mark.timeout(90)

LONG = "\n\n".join(f"paragraph {n} of a long question" for n in range(6))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "nav.db") as opened:
        yield opened


def _notices(app: RamifyApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def _in_view(transcript: Transcript, node_hash: str) -> bool:
    widget = next(w for w in transcript.query(MessageWidget) if w.node_hash == node_hash)
    top = widget.virtual_region.y
    bottom = top + widget.virtual_region.height
    shown_top = transcript.scroll_y
    shown_bottom = shown_top + transcript.scrollable_content_region.height
    return top < shown_bottom and bottom > shown_top


async def test_selecting_a_message_off_screen_scrolls_it_into_view(store: Store) -> None:
    async with ide(store, size=(100, 24)) as (app, pilot):
        for n in range(4):
            await send(app, pilot, f"{n}: {LONG}")
        controller = app.controller
        transcript = app.query_one(Transcript)
        first = controller.path[0]
        assert not _in_view(transcript, first)  # the branch is longer than the screen
        await navigate_mode(app, pilot)
        for _ in range(len(controller.path) - 1):
            await pilot.press("h")
        assert controller.selected_hash == first
        await until(pilot, lambda: _in_view(transcript, first))
        assert app.query_one(BranchTree).marked is not None


async def test_moving_past_a_limit_says_so_and_changes_nothing(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "only question")
        controller = app.controller
        await navigate_mode(app, pilot)
        selected = controller.selected
        await pilot.press("l")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert controller.selected == selected
        notices = _notices(app)
        assert "This is the last message of the branch." in notices
        assert "No branch point below the selection." in notices
        assert app.navigating  # a notice, not a dialog: still navigating


async def test_sending_while_scrolled_up_follows_the_new_message(store: Store) -> None:
    async with ide(store, size=(100, 24)) as (app, pilot):
        for n in range(3):
            await send(app, pilot, f"{n}: {LONG}")
        transcript = app.query_one(Transcript)
        transcript.scroll_home(animate=False, immediate=True)
        transcript.release_anchor()
        await pilot.pause()
        assert not transcript.is_following
        await send(app, pilot, "and now?")
        last = app.controller.path[-1]
        await until(pilot, lambda: transcript.is_following and _in_view(transcript, last))
        assert transcript.views[-1].text == "echo: and now?"


async def test_an_empty_session_welcomes_with_the_first_keys_until_the_first_message(
    store: Store,
) -> None:
    async with ide(store) as (app, pilot):
        welcome = app.query_one(Welcome)
        assert welcome.display
        text = str(welcome.render())
        for shown in ("Enter", "Ctrl+J", "Ctrl+G", "Esc", "F1", "Ctrl+P"):
            assert shown in text
        await send(app, pilot, "hello")
        assert not welcome.display


async def _titles(app: RamifyApp) -> list[str]:
    titles = [command.title for command in app.get_system_commands(app.screen)]
    for provider in (ActionCommands(app.screen), AgentCommands(app.screen)):
        titles += [str(hit.text) async for hit in provider.discover()]
    return titles


async def test_the_palette_offers_each_command_once(store: Store) -> None:
    async with ide(store) as (app, _pilot):
        titles = await _titles(app)
        assert titles.count("Theme") == 1
        assert titles.count("Quit") == 1
        assert len(titles) == len(set(titles))


async def test_the_agent_picker_lists_a_model_and_its_agent_once(store: Store) -> None:
    async with ide(store) as (app, _pilot):
        app.agent_names = (*app.agent_names, "echo-model")

        def make_agent(name: str) -> Any:
            return echo  # `echo-model` is the ECHO agent, as `demo` is DEMO_AGENT

        app._make_agent = make_agent
        assert app._agent_choices().count("ECHO") == 1
        assert "echo-model" not in app._agent_choices()


async def test_the_branch_picker_shows_name_last_message_length_and_last_change(
    store: Store,
) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "## A *first* question")
        controller = app.controller
        await controller.fork("side")
        await send(app, pilot, "on the side")
        await navigate_mode(app, pilot)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        labels = dict(app.screen.items)  # type: ignore[attr-defined]
        assert labels["side"].startswith("side · 4 messages · ")
        assert labels["side"].endswith("echo: on the side")
        assert labels["main"].startswith("main · 2 messages · ")
        assert labels["main"].endswith("echo: ## A first question")  # `##` mid-line is text
        assert list(labels) == ["side", "main"]  # the branch changed last comes first


async def test_tree_labels_show_words_not_markdown(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "## Immutable messages **yes**")
        runs = await app.controller.tree_runs()
        assert runs[0].snippet == "Immutable messages yes"
        assert app.controller.head_label("main") == "echo: ## Immutable messages yes"
