"""Text from outside (errors, names, titles, paths) is shown literally everywhere, toasts on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets._toast import Toast

from ramify.core import USER, InteractionContext, Session, SQLiteStore, Store, UserMessage, agent
from ramify.core.llm import close_clients, openai_agent
from ramify.core.testing import Reply, fake_provider
from ramify.tui.app import RamifyApp
from ramify.tui.screens import EditScreen, HelpScreen, PickScreen, SessionsScreen
from ramify.tui.widgets import BranchTree, Composer, Inspector
from tests.tui.ide import echo, ide, navigate_mode, send, until

pytestmark = pytest.mark.timeout(60)

HOSTILE = (
    "bad value [type=float_type, input_value=None] then [/] and "
    "[@click=app.screenshot('pwned.svg')]click me[/] "
    "\x1b]52;c;cHduZWQ=\x07 \x1b]0;pwned-title\x07 \x1b[2J\x1b[H end"
)
"""Markup that crashed the IDE or made an action, then clipboard, title and clear-screen
escapes."""

SHOWN = (
    "[type=float_type, input_value=None]",
    "[/]",
    "[@click=app.screenshot('pwned.svg')]click me[/]",
    "␛]52;c;cHduZWQ=␇",
    "␛]0;pwned-title␇",
    "␛[2J␛[H",
)
"""How the parts of `HOSTILE` must look on screen: literally, escapes as visible symbols."""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


def _screen(app: RamifyApp) -> list[Strip]:
    return app.screen._compositor.render_strips()


def _tree_nodes(node: Any) -> list[Any]:
    """`node` and every node under it."""
    return [node, *(found for child in node.children for found in _tree_nodes(child))]


def _screen_text(app: RamifyApp) -> str:
    return "\n".join(strip.text for strip in _screen(app))


def _click_actions(app: RamifyApp) -> list[Any]:
    """Every `@click` action anywhere on screen (markup makes one from `[@click=...]`)."""
    return [
        segment.style.meta["@click"]
        for strip in _screen(app)
        for segment in strip
        if segment.style is not None and "@click" in segment.style.meta
    ]


def _toast_texts(app: RamifyApp) -> list[str]:
    return [toast.render().plain for toast in app.screen.query(Toast)]


async def _toast_shown(pilot: Pilot[Any], app: RamifyApp, part: str) -> str:
    await until(pilot, lambda: any(part in text for text in _toast_texts(app)))
    await pilot.pause()
    return next(text for text in _toast_texts(app) if part in text)


def _assert_literal(app: RamifyApp, toast: str, title: str = "") -> None:
    for part in SHOWN:
        assert part in toast
    assert "\x1b" not in toast
    assert "\x07" not in toast
    for toast_widget in app.screen.query(Toast):
        # No style, link or action came from the text: the title's own style is the only one.
        assert all(span.end <= len(title) for span in toast_widget.render().spans)
    assert _click_actions(app) == []
    screen = _screen_text(app)
    assert "\x1b" not in screen
    assert "[@click=app.screenshot('pwned.svg')]" in screen.replace("\n", "")


@agent(alias="HOSTILE", cache=False)
async def hostile(ctx: InteractionContext) -> None:
    """Fails with markup and terminal escapes in its error."""
    raise RuntimeError(HOSTILE)


class _Reading(BaseModel):
    value: float


@agent(alias="VALIDATING", cache=False)
async def validating(ctx: InteractionContext) -> None:
    """Fails as pydantic does: `[type=float_type, input_value=None, input_type=NoneType]`."""
    _Reading.model_validate({"value": None})


async def test_a_failing_agents_hostile_error_is_a_literal_toast(store: Store) -> None:
    async with ide(store, hostile, notifications=True) as (app, pilot):
        await send(app, pilot, "hi")
        toast = await _toast_shown(pilot, app, "pwned-title")
        _assert_literal(app, toast)
        assert app.is_running


async def test_a_pydantic_validation_error_does_not_crash_the_ide(store: Store) -> None:
    with pytest.raises(ValidationError) as raised:
        _Reading.model_validate({"value": None})
    assert "[type=float_type" in str(raised.value)
    async with ide(store, validating, notifications=True) as (app, pilot):
        await send(app, pilot, "hi")
        toast = await _toast_shown(pilot, app, "float_type")
        assert "[type=float_type, input_value=None" in toast
        assert app.is_running


async def test_a_providers_hostile_error_body_is_a_literal_toast(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-0123456789abcdef")
    async with fake_provider(Reply(status=400, error_message=HOSTILE)) as fake:
        provider = openai_agent.fork(
            alias="PROVIDER", model="gpt-test", base_url=fake.openai_base_url, max_retries=0
        )
        try:
            async with ide(store, provider, notifications=True) as (app, pilot):
                await send(app, pilot, "hi")
                toast = await _toast_shown(pilot, app, "pwned-title")
                _assert_literal(app, toast)
                assert app.is_running
        finally:
            await close_clients()


async def test_a_widgets_notify_with_markup_asked_is_still_literal(store: Store) -> None:
    async with ide(store, notifications=True) as (app, pilot):
        app.query_one(BranchTree).notify(HOSTILE, title="[b]t[/b]\x1b]0;x\x07", markup=True)
        toast = await _toast_shown(pilot, app, "pwned-title")
        _assert_literal(app, toast, title="[b]t[/b]␛]0;x␇")
        assert toast.startswith("[b]t[/b]␛]0;x␇\n")


NAMES = ("[b]x[/b]", "[@click=app.quit]", "esc\x1b]0;t\x07")
"""Branch names and a session title as someone else may have written them."""


async def _hostile_session(store: Store) -> Session:
    session = await Session.create(store, title="[@click=app.quit]title[/] \x1b[2J")
    node = await session.append(UserMessage(text="hello"), sender=USER)
    for name in NAMES:
        await session.fork(node, name)
    return session


async def test_hostile_branch_names_and_titles_show_literally_in_tree_pickers_and_inspector(
    store: Store,
) -> None:
    session = await _hostile_session(store)
    async with ide(store, echo, session_id=session.id, notifications=True) as (app, pilot):
        screen = _screen_text(app)
        assert "[@click=app.quit]title[/] ␛[2J" in screen  # the path bar
        tree = app.query_one(BranchTree)
        labels = "\n".join(str(node.label) for node in _tree_nodes(tree.root))
        assert "[b]x[/b]" in labels
        assert "[@click=app.quit]" in labels
        assert "esc␛]0;t␇" in labels
        assert _click_actions(app) == []

        await navigate_mode(app, pilot)
        await app.run_action("branch_switch")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.pause()
        screen = _screen_text(app)
        for shown in ("[b]x[/b]", "[@click=app.quit]", "esc␛]0;t␇"):
            assert shown in screen
        assert "\x1b" not in screen
        assert _click_actions(app) == []
        await pilot.press("escape")

        await app.run_action("session_open")
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.pause()
        assert "[@click=app.quit]title[/] ␛[2J" in _screen_text(app)
        assert _click_actions(app) == []
        await pilot.press("escape")

        await app.action_inspector_toggle()
        await pilot.pause()
        inspector = app.query_one(Inspector)
        assert inspector.data is not None
        assert _click_actions(app) == []
        assert app.is_running


async def test_a_file_name_with_markup_is_a_literal_toast(store: Store, tmp_path: Path) -> None:
    async with ide(store, notifications=True, autosave=False) as (app, pilot):
        await send(app, pilot, "hi")
        target = tmp_path / "[@click=app.quit]x [b].md"
        await app.save_to(str(target))
        toast = await _toast_shown(pilot, app, "Saved to")
        assert str(target) in toast
        assert target.exists()
        assert _click_actions(app) == []


async def test_a_keymap_value_with_markup_shows_literally_in_help(store: Store) -> None:
    async with ide(store, keymap={"fork": "f5"}, size=(160, 90)) as (app, pilot):
        app.user_keymap["fork"] = "[@click=app.quit]k[/]\x1b[2J"
        await app.run_action("help")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        assert "[@click=app.quit]k[/]␛[2J" in _screen_text(app)
        assert _click_actions(app) == []


async def test_an_agent_name_with_markup_shows_literally_in_the_palette(store: Store) -> None:
    name = "[type=x, input_value=None] [@click=app.quit]bad[/]"
    async with ide(store, agents={name: echo}) as (app, pilot):
        await app.run_action("command_palette")
        await pilot.pause()
        await pilot.press(*"rerun")
        await until(pilot, lambda: f"Rerun with {name}" in _screen_text(app))
        assert _click_actions(app) == []
        await pilot.press("escape")


async def test_escapes_in_the_composer_and_the_edit_dialog_are_drawn_as_symbols(
    store: Store,
) -> None:
    typed = "hi \x1b]0;pwned-title\x07\x1b[2J\x9b there"
    async with ide(store) as (app, pilot):
        composer = app.query_one(Composer)
        composer.text = typed
        await pilot.pause()
        area = composer.area
        drawn = area.render_line(0).text
        assert "hi ␛]0;pwned-title␇␛[2J\ufffd there" in drawn
        assert "\x1b" not in drawn
        assert composer.text == typed

        await send(app, pilot, typed)
        await navigate_mode(app, pilot)
        await app.run_action("nav_parent")
        await app.run_action("edit")
        await until(pilot, lambda: isinstance(app.screen, EditScreen))
        await pilot.pause()
        assert "␛]0;pwned-title␇" in _screen_text(app)
        assert "\x1b" not in _screen_text(app)
        assert app.screen.query_one(TextArea).text == typed
