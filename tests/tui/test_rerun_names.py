"""Pilot tests: rerun, like fork and edit, asks the name of its branch with a proposal the
user can change, and an identical reply still makes no branch whatever the name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ramify.core import USER, InteractionContext, SQLiteStore, Store, agent
from ramify.tui.app import RamifyApp
from ramify.tui.screens import PromptScreen
from ramify.tui.widgets import Composer
from tests.tui.ide import ide, navigate_mode, palette_offers, send, settled, until

pytestmark = pytest.mark.timeout(60)


@agent
async def varying(ctx: InteractionContext) -> None:
    ctx.reply(f"take {ctx.attempt}")


@agent
async def fixed(ctx: InteractionContext) -> None:
    ctx.reply("always this")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


def _toasts(app: Any) -> str:
    return "\n".join(str(notification.message) for notification in app._notifications)


async def _name_prompt(app: RamifyApp, pilot: Any) -> Any:
    await until(pilot, lambda: isinstance(app.screen, PromptScreen))
    return app.screen.query_one("#prompt-input")


async def _runs_of(app: RamifyApp, alias: str) -> int:
    assert app.controller is not None
    return sum(1 for run in await app.controller.session.runs() if run.agent == alias)


async def test_rerun_proposes_a_name_from_the_reply_and_lands_on_the_one_typed(
    store: Store,
) -> None:
    async with ide(store, varying) as (app, pilot):
        await send(app, pilot, "again")
        controller = app.controller
        await navigate_mode(app, pilot)
        await pilot.press("r")
        prompt = await _name_prompt(app, pilot)
        assert prompt.value == "rerun-take-0"
        assert await _runs_of(app, "VARYING") == 1  # nothing runs before the name is given
        prompt.value = "second-try"
        await pilot.press("enter")
        await settled(pilot)
        await until(pilot, lambda: controller.branch == "second-try")
        session = controller.session
        assert set(controller.heads) == {"main", "second-try"}
        texts = [(node.sender, message.text) for node, message in await session.path_messages(
            "second-try"
        )]  # fmt: skip
        assert texts == [(USER, "again"), ("VARYING", "take 1")]
        composer = app.query_one(Composer)
        assert app.focused is composer.area
        await pilot.press(*"try it")  # prose right after the dialog is prose
        assert composer.text == "try it"
        assert set(controller.heads) == {"main", "second-try"}


async def test_a_rerun_with_the_same_reply_makes_no_branch_whatever_its_name(
    store: Store,
) -> None:
    async with ide(store, fixed) as (app, pilot):
        await send(app, pilot, "q")
        controller = app.controller
        await navigate_mode(app, pilot)
        await pilot.press("r")
        prompt = await _name_prompt(app, pilot)
        prompt.value = "my-own-name"
        await pilot.press("enter")
        await settled(pilot)
        await until(pilot, lambda: "same reply" in _toasts(app))
        assert await _runs_of(app, "FIXED") == 2
        assert set(controller.heads) == {"main"}
        assert await store.get_ref(controller.session.id, "my-own-name") is None


async def test_a_taken_rerun_name_is_asked_again_keeping_what_was_typed(store: Store) -> None:
    async with ide(store, varying) as (app, pilot):
        await send(app, pilot, "again")
        await navigate_mode(app, pilot)
        await pilot.press("r")
        prompt = await _name_prompt(app, pilot)
        prompt.value = "main"
        await pilot.press("enter")
        await until(pilot, lambda: "already" in _toasts(app))
        asked_again = await _name_prompt(app, pilot)
        assert asked_again is not prompt
        assert asked_again.value == "main"
        assert await _runs_of(app, "VARYING") == 1
        asked_again.value = "other"
        await pilot.press("enter")
        await settled(pilot)
        await until(pilot, lambda: app.controller.branch == "other")
        assert await _runs_of(app, "VARYING") == 2


async def test_escape_on_the_rerun_name_reruns_nothing(store: Store) -> None:
    async with ide(store, varying) as (app, pilot):
        await send(app, pilot, "again")
        await navigate_mode(app, pilot)
        await pilot.press("r")
        await _name_prompt(app, pilot)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PromptScreen))
        await settled(pilot)
        assert await _runs_of(app, "VARYING") == 1
        assert set(app.controller.heads) == {"main"}
        assert app.focused is app.query_one(Composer).area


async def test_rerun_on_your_own_message_says_so_without_asking_a_name(store: Store) -> None:
    async with ide(store, varying) as (app, pilot):
        await send(app, pilot, "again")
        await navigate_mode(app, pilot)
        await pilot.press("h")  # the parent: your own message
        await pilot.press("r")
        await until(pilot, lambda: "edit resends your own" in _toasts(app))
        assert not isinstance(app.screen, PromptScreen)
        assert await _runs_of(app, "VARYING") == 1


async def test_rerun_with_from_the_palette_proposes_a_name_with_that_agent(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "loud")
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Rerun with SHOUT")
        await until(pilot, lambda: palette_offers(app, "Rerun with SHOUT"))
        await pilot.press("enter")
        prompt = await _name_prompt(app, pilot)
        assert prompt.value == "rerun-shout-echo-loud"
        assert await _runs_of(app, "SHOUT") == 0
        prompt.value = "in-capitals"
        await pilot.press("enter")
        await settled(pilot)
        await until(pilot, lambda: app.controller.branch == "in-capitals")
        session = app.controller.session
        texts = [(node.sender, message.text) for node, message in await session.path_messages(
            "in-capitals"
        )]  # fmt: skip
        assert texts == [(USER, "loud"), ("SHOUT", "LOUD")]
