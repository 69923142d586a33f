"""After every dialog closes, by Esc or by confirming it, what is typed goes to the message box
and nowhere else: letters that are navigate-mode commands (`r` rerun, `e` edit, `x` tool
details, ...) type themselves and run nothing. Each dialog the IDE opens is covered: the
approval modal (`w`), the rerun and rerun-task prompts, "Run workflow…" (F12 and the palette),
the breakpoint prompt (`p`), branch and session renames and deletes, the sessions list, the
full-text view and the theme picker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from ramify.core import SQLiteStore, Store
from ramify.core.tools import agent_with_tools, interrupt_settings, pending_interrupts, tool
from ramify.tui.app import RamifyApp
from ramify.tui.screens import (
    ConfirmScreen,
    FullTextScreen,
    InterruptScreen,
    PickScreen,
    PromptScreen,
)
from ramify.tui.screens.sessions import SessionsScreen
from ramify.tui.widgets import Composer, Inspector, WorkflowView
from tests.tui.ide import ide, navigate_mode, send, settled, until

pytestmark = pytest.mark.timeout(120)

TYPED = "rex: hjkl fbt yo W T p w v i x"
"""Prose made of navigate-mode command letters (rerun, edit, tool details, fork, ...)."""


@tool(name="calculator", destructive=True)
def risky(expression: str) -> str:
    """A calculator with side effects, so its calls are asked about."""
    return f"risky {expression}"


@tool(name="calculator", read_only=True)
def safe(expression: str) -> str:
    """A read-only calculator (stops only at a breakpoint)."""
    return f"safe {expression}"


ASKING = agent_with_tools([risky], alias="asking", tokens_per_second=0)
STOPPING = agent_with_tools([safe], alias="stopping", tokens_per_second=0)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "dialogs.db") as opened:
        yield opened


@dataclass(frozen=True)
class _Looks:
    """What a stray key action would change."""

    nodes: frozenset[str]
    refs: dict[str, str]
    branch: str | None
    selected: int
    toasts: int
    inspector_hidden: bool
    board_hidden: bool
    workers: int


TOLD: dict[int, list[str]] = {}
"""Every toast each app showed (by `id(app)`): toasts expire, so they are counted as told."""


def _told(app: RamifyApp) -> list[str]:
    if id(app) not in TOLD:
        TOLD[id(app)] = told = []
        notify = app.notify

        def recorded(message: str, **options: Any) -> None:
            told.append(message)
            notify(message, **options)

        app.notify = recorded  # type: ignore[method-assign]
    return TOLD[id(app)]


async def _looks(app: RamifyApp) -> _Looks:
    controller = app.controller
    assert controller is not None
    nodes = await controller.session.store.session_nodes(controller.session.id)
    refs = {ref.name: ref.head for ref in await controller.session.branches()}
    return _Looks(
        frozenset(node.hash_key for node in nodes),
        refs,
        controller.branch,
        controller.selected,
        len(_told(app)),
        app.query_one(Inspector).has_class("-hidden"),
        app.query_one(WorkflowView).has_class("-hidden"),
        # The store watch's look, every half second, is no reaction to a key: not counted.
        sum(1 for worker in app.workers._workers if worker.group != "watch"),
    )


async def _typing_goes_to_the_composer(app: RamifyApp, pilot: Pilot[Any]) -> None:
    """Type `TYPED` where focus is now: exactly it lands in the message box, nothing runs."""
    await settled(pilot)
    composer = app.query_one(Composer)
    composer.text = ""
    before = await _looks(app)
    await pilot.press(*TYPED)
    await pilot.pause()
    assert len(app.screen_stack) == 1, f"a screen is open: {app.screen!r}"
    assert composer.text == TYPED
    assert app.focused is composer.area
    assert not app.navigating
    await settled(pilot)
    after = await _looks(app)
    assert after == before, _told(app)[before.toasts :]
    composer.text = ""


async def _open(app: RamifyApp, pilot: Pilot[Any], keys: tuple[str, ...], screen: type) -> None:
    """Press `keys` in navigate mode until a `screen` is on top."""
    await navigate_mode(app, pilot)
    await pilot.press(*keys)
    await until(pilot, lambda: isinstance(app.screen, screen))


async def _closed(app: RamifyApp, pilot: Pilot[Any], screen: Screen[Any]) -> None:
    await until(pilot, lambda: screen not in app.screen_stack)


async def _dialog(
    app: RamifyApp,
    pilot: Pilot[Any],
    keys: tuple[str, ...],
    screen: type,
    close: Callable[[], Awaitable[None]],
) -> None:
    """Open a dialog, close it with `close`, then check where typing goes."""
    await _open(app, pilot, keys, screen)
    shown = app.screen
    await close()
    await _closed(app, pilot, shown)
    await _typing_goes_to_the_composer(app, pilot)


def _press(pilot: Pilot[Any], *keys: str) -> Callable[[], Awaitable[None]]:
    async def pressed() -> None:
        await pilot.press(*keys)

    return pressed


def _answer(app: RamifyApp, pilot: Pilot[Any], text: str) -> Callable[[], Awaitable[None]]:
    """Replace a prompt's text with `text` and press Enter."""

    async def answered() -> None:
        app.screen.query_one(Input).value = text
        await pilot.press("enter")

    return answered


async def test_the_approval_modal_hands_typing_back_whichever_way_it_closes(
    store: Store,
) -> None:
    async with ide(store, ASKING) as (app, pilot):
        for number, close in enumerate(("o", "r", "enter", "a")):  # "a" allows always: last
            await send(app, pilot, f"what is 6*{number}")
            await until(pilot, lambda: isinstance(app.screen, InterruptScreen))
            shown = app.screen
            await pilot.press("escape")  # left waiting; `w` brings it back
            await _closed(app, pilot, shown)
            await _typing_goes_to_the_composer(app, pilot)
            # Enter presses the focused button (allow once).
            await _dialog(app, pilot, ("w",), InterruptScreen, _press(pilot, close))
            await until(pilot, lambda: not isinstance(app.screen, InterruptScreen))


async def test_a_run_that_waits_while_the_user_writes_does_not_take_their_letters(
    store: Store,
) -> None:
    async with ide(store, ASKING) as (app, pilot):
        await send(app, pilot, "what is 6*7")
        await until(pilot, lambda: isinstance(app.screen, InterruptScreen))
        shown = app.screen
        await pilot.press("escape")
        await _closed(app, pilot, shown)
        # The user writes; the run's ask comes up (as when it ends waiting) while they do.
        told = _told(app)
        await pilot.press(*"draft")
        app.offer_interrupt()
        await settled(pilot)
        await pilot.press(*" and more")  # "a" would have allowed the tool always
        await settled(pilot)
        assert len(app.screen_stack) == 1
        assert app.query_one(Composer).text == "draft and more"
        assert "A run waits for your answer: Ctrl+G then w shows it." in told
        assert app.controller is not None
        assert len(await pending_interrupts(app.controller.session)) == 1  # not answered
        # With the message box empty it comes up; `w` always does.
        app.query_one(Composer).text = ""
        app.offer_interrupt()
        await until(pilot, lambda: isinstance(app.screen, InterruptScreen))


async def test_a_breakpoint_modal_and_prompt_hand_typing_back(store: Store) -> None:
    async with ide(store, STOPPING) as (app, pilot):
        await _dialog(app, pilot, ("p",), PromptScreen, _press(pilot, "escape"))
        await _dialog(app, pilot, ("p",), PromptScreen, _answer(app, pilot, "before calculator"))
        assert app.controller is not None
        assert interrupt_settings(app.controller.session).breakpoints
        for number, close in enumerate(("ctrl+enter", "enter")):  # Enter: the Continue button
            await send(app, pilot, f"what is 7*{number}")
            await until(pilot, lambda: isinstance(app.screen, InterruptScreen))
            shown = app.screen
            await pilot.press("escape")
            await _closed(app, pilot, shown)
            await _typing_goes_to_the_composer(app, pilot)
            await _dialog(app, pilot, ("w",), InterruptScreen, _press(pilot, close))


async def test_the_rerun_prompt_hands_typing_back(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "first question")
        await _dialog(app, pilot, ("r",), PromptScreen, _press(pilot, "escape"))
        await _dialog(app, pilot, ("r",), PromptScreen, _press(pilot, "enter"))


async def test_the_branch_dialogs_hand_typing_back(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "first question")
        await _dialog(app, pilot, ("f",), PromptScreen, _answer(app, pilot, "side"))
        escape = _press(pilot, "escape")
        # F3 rename: the picker, then the name.
        await _dialog(app, pilot, ("f3",), PickScreen, escape)
        await _open(app, pilot, ("f3",), PickScreen)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _dialog_closed_by(app, pilot, escape)
        await _open(app, pilot, ("f3",), PickScreen)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _dialog_closed_by(app, pilot, _answer(app, pilot, "renamed"))
        # F4 delete: the picker, then the question (n, Esc, y).
        for close in ("n", "escape", "y"):
            await _open(app, pilot, ("f4",), PickScreen)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await _dialog_closed_by(app, pilot, _press(pilot, close))


async def test_the_session_dialogs_hand_typing_back(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "first question")
        escape, enter = _press(pilot, "escape"), _press(pilot, "enter")
        # F6 rename the session, F7 delete it (declined), Ctrl+O the sessions list.
        await _dialog(app, pilot, ("f6",), PromptScreen, escape)
        await _dialog(app, pilot, ("f6",), PromptScreen, _answer(app, pilot, "a title"))
        await _dialog(app, pilot, ("f7",), ConfirmScreen, _press(pilot, "n"))
        await _dialog(app, pilot, ("f7",), ConfirmScreen, escape)
        await _dialog(app, pilot, ("ctrl+o",), SessionsScreen, escape)
        await _dialog(app, pilot, ("ctrl+o",), SessionsScreen, enter)  # the open session
        # From the sessions list: rename (its prompt), delete (its question), Ctrl+S's prompt.
        await _open(app, pilot, ("ctrl+o",), SessionsScreen)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _dialog_closed_by(app, pilot, escape)
        await _open(app, pilot, ("ctrl+o",), SessionsScreen)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await _dialog_closed_by(app, pilot, _press(pilot, "n"))
        await _dialog(app, pilot, ("ctrl+s",), PromptScreen, escape)
        # Opening another session from the list.
        first_session = app.controller.session.id if app.controller else None
        await app.run_action("session_new")
        await until(pilot, lambda: app.controller.session.id != first_session)  # type: ignore[union-attr]
        await _open(app, pilot, ("ctrl+o",), SessionsScreen)
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.controller.session.id == first_session)  # type: ignore[union-attr]
        await _typing_goes_to_the_composer(app, pilot)


async def test_the_view_dialogs_hand_typing_back(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "first question")
        escape = _press(pilot, "escape")
        # `o` the whole message, F2 the theme picker.
        await _dialog(app, pilot, ("o",), FullTextScreen, escape)
        await navigate_mode(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1)
        await _typing_goes_to_the_composer(app, pilot)


async def _dialog_closed_by(
    app: RamifyApp, pilot: Pilot[Any], close: Callable[[], Awaitable[None]]
) -> None:
    shown = app.screen
    await close()
    await _closed(app, pilot, shown)
    await _typing_goes_to_the_composer(app, pilot)


FLOW = """
from pydantic import BaseModel
from ramify.core.workflow import Workflow


class Num(BaseModel):
    n: int


class First(BaseModel):
    first: int


flow = Workflow("flow")
only = flow.state("only", final=True)


@only.task()
def first(x: Num) -> First:
    return First(first=x.n + 1)
"""


async def test_the_run_workflow_prompts_hand_typing_back(store: Store, tmp_path: Path) -> None:
    spec = tmp_path / "flow.py"
    spec.write_text(FLOW)
    async with ide(store) as (app, pilot):
        await send(app, pilot, "first question")
        escape = _press(pilot, "escape")
        await _dialog(app, pilot, ("f12",), PromptScreen, escape)
        # A file that is not there: one line, and typing still goes to the composer.
        await _dialog(app, pilot, ("f12",), PromptScreen, _answer(app, pilot, "nope.py:flow"))
        # The input prompt, left with Esc.
        await _open(app, pilot, ("f12",), PromptScreen)
        first = app.screen
        await _answer(app, pilot, f"{spec}:flow")()
        await until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen is not first)
        await _dialog_closed_by(app, pilot, escape)
        # Run: the board shows it, typing still goes to the composer.
        await _open(app, pilot, ("f12",), PromptScreen)
        first = app.screen
        await _answer(app, pilot, f"{spec}:flow")()
        await until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen is not first)
        await _dialog_closed_by(app, pilot, _answer(app, pilot, '{"n": 1}'))
        board = app.query_one(WorkflowView)
        assert board.outcome == "done"
        # The palette's "Run workflow…" opens the same prompt.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Run workflow")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await _dialog_closed_by(app, pilot, escape)
        # `T` on the task's output: the rerun-task prompt, left and confirmed.
        node = board.nodes[("only", "first")]
        assert app.controller is not None
        assert app.controller.select_hash(node)
        await _dialog(app, pilot, ("T",), PromptScreen, escape)
        assert app.controller.selected_hash == node
        await _dialog(app, pilot, ("T",), PromptScreen, _press(pilot, "enter"))
        await until(
            pilot, lambda: app.controller is not None and app.controller.branch == "rerun-1"
        )
        await _typing_goes_to_the_composer(app, pilot)
