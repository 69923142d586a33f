"""Several runs in the IDE: which one Esc cancels, where replies land when the branch moved
on, what a rerun of one expert offers, and who cancels the runs on quit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ramify.core import (
    USER,
    Agent,
    InteractionContext,
    PromisingContext,
    Ramify,
    RunStatus,
    Session,
    SQLiteStore,
    Store,
    UserMessage,
    agent,
)
from ramify.tui.app import RamifyApp
from ramify.tui.screens import PickScreen, PromptScreen
from ramify.tui.widgets import AgentPanes, Composer
from tests.tui.ide import Gate, ide, navigate_mode, settled, until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "runs.db") as opened:
        yield opened


def _toasts(app: Any) -> str:
    return "\n".join(str(notification.message) for notification in app._notifications)


async def _texts(session: Session, branch: str) -> list[tuple[str, str]]:
    return [(node.sender, message.text) for node, message in await session.path_messages(branch)]


async def _start(app: RamifyApp, pilot: Any, text: str) -> str:
    """Send `text` and wait until its run streams in a pane; the run's key."""
    before = set(app.inquiries)
    composer = app.query_one(Composer)
    composer.area.focus()
    composer.text = text
    await pilot.press("enter")
    await until(pilot, lambda: bool(set(app.inquiries) - before))
    (run_key,) = set(app.inquiries) - before
    panes = app.query_one(AgentPanes)
    await until(pilot, lambda: any(key.startswith(f"{run_key}/") for key in panes.keys))
    return run_key


async def test_escape_with_two_runs_cancels_the_newest_then_the_focused_panes_run(
    store: Store,
) -> None:
    gate = Gate()
    async with ide(store, gate.agent) as (app, pilot):
        older = await _start(app, pilot, "first")
        newer = await _start(app, pilot, "second")
        await pilot.press("escape")
        await until(pilot, lambda: newer not in app.inquiries)
        session = app.controller.session
        assert (await session.get_run(newer)).status is RunStatus.CANCELLED
        assert older in app.inquiries
        assert (await session.get_run(older)).status is RunStatus.RUNNING
        # Now a second newer run, and the older run's pane has focus: Esc cancels the older.
        newest = await _start(app, pilot, "third")
        panes = app.query_one(AgentPanes)
        (older_key,) = [key for key in panes.keys if key.startswith(f"{older}/")]
        pane = panes.pane(older_key)
        pane.can_focus = True
        pane.focus()
        await pilot.pause()
        await pilot.press("escape")
        await until(pilot, lambda: older not in app.inquiries)
        assert (await session.get_run(older)).status is RunStatus.CANCELLED
        assert newest in app.inquiries
        gate.release()
        await settled(pilot)
        assert (await session.get_run(newest)).status is RunStatus.DONE


async def test_a_reply_whose_branch_moved_on_lands_on_a_new_branch_and_says_so(
    store: Store,
) -> None:
    gate = Gate(before=("slow ",))
    async with ide(store, gate.agent) as (app, pilot):
        await _start(app, pilot, "first")
        session = app.controller.session
        # The user goes on while the first reply streams: main moves past its input.
        await session.append(UserMessage(text="meanwhile"), branch="main")
        gate.release()
        await settled(pilot)
        await until(pilot, lambda: "main-moved-1" in _toasts(app))
        assert await _texts(session, "main") == [(USER, "first"), (USER, "meanwhile")]
        assert await _texts(session, "main-moved-1") == [(USER, "first"), ("GATED", "slow  done")]


def _team() -> tuple[Agent, list[str]]:
    calls: list[str] = []

    def expert(alias: str) -> Agent:
        @agent(alias=alias, cache=False)
        async def answer(ctx: InteractionContext) -> None:
            calls.append(alias)
            ctx.reply(f"{alias} take {ctx.attempt}")

        return answer

    alpha, beta = expert("ALPHA"), expert("BETA")

    @agent(cache=False)
    async def team(ctx: InteractionContext) -> None:
        calls.append("TEAM")
        history = await ctx.message_promises
        ctx.reply([alpha.inquire(history), beta.inquire(history)])

    return team, calls


@pytest.mark.parametrize(
    ("choice", "reran"), [("own", ["BETA"]), ("caller", ["TEAM", "ALPHA", "BETA"])]
)
async def test_rerunning_an_experts_reply_offers_that_expert_or_the_whole_team(
    store: Store, choice: str, reran: list[str]
) -> None:
    team, calls = _team()
    async with ide(store, team) as (app, pilot):
        composer = app.query_one(Composer)
        composer.area.focus()
        composer.text = "q"
        await pilot.press("enter")
        await settled(pilot)
        assert calls == ["TEAM", "ALPHA", "BETA"]
        await navigate_mode(app, pilot)  # the last reply, BETA's, is selected
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        ids = [key for key, _ in picker.items]  # type: ignore[attr-defined]
        assert ids == ["own", "caller"]
        picker.query_one("#pick-list").highlighted = ids.index(choice)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one("#prompt-input").value = "again"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settled(pilot)
        await until(pilot, lambda: app.controller.branch == "again")
        assert calls[3:] == reran


async def test_quit_mid_stream_cancels_the_runs_itself_before_the_runtime_closes(
    store: Store,
) -> None:
    gate = Gate(before=("half ",))
    async with ide(store, gate.agent) as (app, pilot):
        run_key = await _start(app, pilot, "start")
        runtime = PromisingContext.current_or_none()
        assert isinstance(runtime, Ramify)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.return_code is not None or not app.is_running)
        # Still inside the runtime, which would cancel stragglers only when it closes: the
        # run was cancelled, and recorded so, by the app's quit.
        assert PromisingContext.current_or_none() is runtime
        assert run_key in app._cancel_requested
        run = await store.get_run(run_key)
        assert run.status is RunStatus.CANCELLED
        node = await store.get_node(run.output_nodes[0])
        message = await store.get_message(node.message)
        assert message.text == "half "
        assert message.cancelled is True  # type: ignore[attr-defined]
