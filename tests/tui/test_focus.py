"""The focus model: typed prose always lands in the message box and never changes the tree;
single-key commands live in navigate mode (Ctrl+G), and every dialog hands focus back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ramify.core import SQLiteStore, Store
from ramify.tui.app import RamifyApp
from ramify.tui.screens import EditScreen, HelpScreen, PickScreen, PromptScreen
from ramify.tui.widgets import BranchTree, Composer, Inspector, Transcript
from tests.tui.ide import ide, navigate_mode, send, settled, until

pytestmark = pytest.mark.timeout(90)

PROSE = "On the fork: tell me about rerun"
"""The sentence that, typed into the tree, once ran Forward on its `t` and confirmed it."""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "focus.db") as opened:
        yield opened


async def _tree(app: RamifyApp) -> tuple[frozenset[str], dict[str, str]]:
    """Every node of the session and every branch head: what typing must never change."""
    controller = app.controller
    assert controller is not None
    nodes = await controller.session.store.session_nodes(controller.session.id)
    refs = {ref.name: ref.head for ref in await controller.session.branches()}
    return frozenset(node.hash_key for node in nodes), refs


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)
    await pilot.pause()


async def _prose_lands_in_the_composer(app: RamifyApp, pilot: Pilot[Any]) -> None:
    """Type `PROSE` wherever focus is now; it must all be in the composer, the tree untouched."""
    composer = app.query_one(Composer)
    composer.text = ""
    before = await _tree(app)
    await _type(pilot, PROSE)
    assert isinstance(app.screen.query_one(Composer), Composer)  # still on the main screen
    assert composer.text == PROSE
    assert app.focused is composer.area
    assert not app.navigating
    await settled(pilot)
    assert await _tree(app) == before
    composer.text = ""


async def _conversation(app: RamifyApp, pilot: Pilot[Any]) -> None:
    await send(app, pilot, "first question")
    await send(app, pilot, "second question")


async def test_prose_typed_with_focus_anywhere_goes_to_the_composer(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
        await app.action_inspector_toggle()
        for place in (Transcript, BranchTree, Inspector, Composer):
            app.query_one(place).focus()
            await pilot.pause()
            await _prose_lands_in_the_composer(app, pilot)


async def test_a_pasted_text_goes_to_the_composer_from_the_tree(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
        app.query_one(BranchTree).focus()
        await pilot.pause()
        before = await _tree(app)
        app.post_message(_paste("tell me\nmore"))  # as the terminal driver delivers it
        await until(pilot, lambda: app.query_one(Composer).text == "tell me\nmore")
        assert await _tree(app) == before


def _paste(text: str) -> Any:
    from textual import events

    return events.Paste(text)


async def test_navigate_mode_is_shown_and_left_by_esc_enter_or_a_typed_letter(
    store: Store,
) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
        composer = app.query_one(Composer)
        assert "NAVIGATE" not in str(composer.query_one(".composer--target").render())
        for leave in ("escape", "enter", "O"):
            await navigate_mode(app, pilot)
            assert composer.has_class("-navigating")
            assert "NAVIGATE" in str(composer.query_one(".composer--target").render())
            assert app.focused is not composer.area
            selected = app.controller.selected
            await pilot.press("h")  # a command here
            assert app.controller.selected == selected - 1
            before = await _tree(app)
            await pilot.press(leave)
            await pilot.pause()
            assert not app.navigating
            assert not composer.has_class("-navigating")
            assert app.focused is composer.area
            assert composer.text == ("O" if leave == "O" else "")
            assert await _tree(app) == before
            composer.text = ""


async def test_escape_in_the_composer_still_cancels_nothing_else(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
        app.query_one(Transcript).focus()
        await pilot.pause()
        await pilot.press("escape")  # off the composer: Esc goes back to it
        await pilot.pause()
        assert app.focused is app.query_one(Composer).area


async def test_the_palette_runs_a_navigate_mode_command_while_typing(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
        assert not app.navigating
        await pilot.press("ctrl+p")
        await pilot.pause()
        await _type(pilot, "Fork here")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is app.query_one(Composer).area


async def _press_until(pilot: Pilot[Any], key: str, condition: Callable[[], bool]) -> None:
    await pilot.press(key)
    await until(pilot, condition)


async def _dialog(
    app: RamifyApp,
    pilot: Pilot[Any],
    key: str,
    screen: type,
    finish: Callable[[], Awaitable[None]],
) -> None:
    await navigate_mode(app, pilot)
    await _press_until(pilot, key, lambda: isinstance(app.screen, screen))
    await finish()
    await until(pilot, lambda: not isinstance(app.screen, screen))
    await settled(pilot)
    await _prose_lands_in_the_composer(app, pilot)


async def test_after_every_dialog_prose_goes_to_the_composer(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
        controller = app.controller

        async def enter() -> None:
            await pilot.press("enter")

        async def escape() -> None:
            await pilot.press("escape")

        async def edit_and_send() -> None:
            app.screen.query_one("#edit-area").load_text("edited question")  # type: ignore[attr-defined]
            await pilot.press("enter")

        # Fork (confirmed), from the tree where focus used to stay after it.
        app.query_one(BranchTree).focus()
        await _dialog(app, pilot, "f", PromptScreen, enter)
        assert controller.branch == "echo-second-question"  # proposed from the message
        # Edit (sent), forward (dismissed), branch switch (picked), search (a hit picked),
        # target (picked), help (closed).
        await navigate_mode(app, pilot)
        await pilot.press("h")  # the second question
        await pilot.press("escape")
        await _dialog(app, pilot, "e", EditScreen, edit_and_send)
        await _dialog(app, pilot, "t", PickScreen, escape)
        await _dialog(app, pilot, "b", PickScreen, enter)
        await _dialog(app, pilot, "slash", PromptScreen, _search_and_pick(app, pilot))
        await _dialog(app, pilot, "a", PickScreen, enter)
        await navigate_mode(app, pilot)
        await _press_until(pilot, "f1", lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await _prose_lands_in_the_composer(app, pilot)
        # The palette, opened from navigate mode and closed.
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await _prose_lands_in_the_composer(app, pilot)


def _search_and_pick(app: RamifyApp, pilot: Pilot[Any]) -> Callable[[], Awaitable[None]]:
    async def finish() -> None:
        await _type(pilot, "first")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")

    return finish


async def test_after_a_replay_ends_prose_goes_to_the_composer(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
    async with ide(store, replay_pace=1000.0) as (app, pilot):
        await until(pilot, lambda: app._replayed and app._replay_path is None)
        await settled(pilot)
        await _prose_lands_in_the_composer(app, pilot)


async def test_focusing_the_message_box_leaves_navigate_mode_and_tab_reaches_it(
    store: Store,
) -> None:
    async with ide(store) as (app, pilot):
        await _conversation(app, pilot)
        composer = app.query_one(Composer)
        await navigate_mode(app, pilot)
        for _ in range(3):  # Tab cycles the message box, the branches and the transcript
            if app.focused is composer.area:
                break
            await pilot.press("tab")
            await pilot.pause()
        assert app.focused is composer.area
        assert not app.navigating
        assert not composer.has_class("-navigating")


async def test_an_edit_given_a_taken_branch_name_is_asked_again_with_its_text(
    store: Store,
) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "origin")
        await navigate_mode(app, pilot)
        await pilot.press("h", "e")
        await until(pilot, lambda: isinstance(app.screen, EditScreen))
        app.screen.query_one("#edit-area").load_text("my careful edit")  # type: ignore[attr-defined]
        app.screen.query_one("#edit-branch").value = "main"  # type: ignore[attr-defined]
        first = app.screen
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EditScreen) and app.screen is not first)
        await pilot.pause()
        assert app.screen.query_one("#edit-area").text == "my careful edit"  # type: ignore[attr-defined]
        assert len(app.controller.heads) == 1
