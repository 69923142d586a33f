"""Approvals and breakpoints in the IDE: the modal comes up when a run waits and again when a
session with a waiting run is reopened; its answer goes on with the run, a tool loop's or a
plain model agent's (real SQLite file, offline demo model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from ramify.core import Ramify, Session, SQLiteStore, UserMessage
from ramify.core.llm import demo_agent
from ramify.core.runs import RunStatus
from ramify.core.tools import (
    InterruptAnswer,
    ToolResultMessage,
    agent_with_tools,
    interrupt_settings,
    pending_interrupts,
    tool,
)
from ramify.tui.app import RamifyApp
from ramify.tui.screens import InterruptScreen, PromptScreen
from ramify.tui.view_models import ToolStatus
from ramify.tui.widgets import BranchTree, Transcript
from tests.tui.ide import ide, navigate_mode, send, settled, until

CALLS: list[str] = []


@tool(name="calculator", destructive=True)
def risky(expression: str) -> str:
    """A calculator with side effects, so its calls are asked about."""
    CALLS.append(expression)
    return f"risky {expression}"


@tool(name="calculator", read_only=True)
def safe(expression: str) -> str:
    """A read-only calculator (never asked about)."""
    CALLS.append(expression)
    return f"safe {expression}"


ASKING = agent_with_tools([risky], alias="asking", tokens_per_second=0)
STOPPING = agent_with_tools([safe], alias="stopping", tokens_per_second=0)


def _modal(app: RamifyApp) -> InterruptScreen | None:
    screen = app.screen
    return screen if isinstance(screen, InterruptScreen) else None


def _shown_text(screen: InterruptScreen) -> str:
    return "\n".join(str(widget.render()) for widget in screen.query(Static))


async def _path_kinds(app: RamifyApp) -> list[str]:
    assert app.controller is not None
    path = await app.controller.session.path_messages(app.controller.session.active_branch)
    return [type(message).__name__ for _, message in path]


def _call_statuses(app: RamifyApp) -> list[ToolStatus | None]:
    """The status of each tool call line in the transcript."""
    views = app.query_one(Transcript).views
    return [call.status for view in views for call in view.tool_calls]


async def _answer(pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    await settled(pilot)


async def test_an_ask_shows_the_call_and_allow_once_goes_on(tmp_path: Path) -> None:
    CALLS.clear()
    async with SQLiteStore(tmp_path / "s.sqlite3") as store, ide(store, ASKING) as (app, pilot):
        await send(app, pilot, "what is 12*7")
        await until(pilot, lambda: _modal(app) is not None)
        modal = _modal(app)
        assert modal is not None
        text = _shown_text(modal)
        assert "calculator" in text
        assert '({"expression":"12*7"})' in text
        assert CALLS == []
        # Behind the modal, the model's call line in the transcript says it waits.
        await until(pilot, lambda: _call_statuses(app) == [ToolStatus.WAITING])
        await _answer(pilot, "o")
        await until(pilot, lambda: len(CALLS) == 1)
        await settled(pilot)
        await until(pilot, lambda: _call_statuses(app) == [None])  # answered: a plain call
        kinds = await _path_kinds(app)
        assert kinds[-4:] == [
            "InterruptMessage",
            "InterruptAnswer",
            "ToolResultMessage",
            "ToolCallsMessage",
        ]
        assert CALLS == ["12*7"]


async def test_reopening_a_session_with_a_waiting_run_asks_again(tmp_path: Path) -> None:
    CALLS.clear()
    async with SQLiteStore(tmp_path / "s.sqlite3") as store:
        async with Ramify():
            session = await Session.create(store, session_id="waits")
            await session.append(UserMessage("what is 2+3"))
            await session.inquire(ASKING).recorded()
        async with ide(store, ASKING, session_id="waits") as (app, pilot):
            await until(pilot, lambda: _modal(app) is not None)
            await _answer(pilot, "r")
            await settled(pilot)
            assert app.controller is not None
            session = app.controller.session
            assert await pending_interrupts(session) == []
            path = [message for _, message in await session.path_messages("main")]
            answer, result = path[3], path[4]
            assert isinstance(answer, InterruptAnswer)
            assert answer.decision == "reject"
            assert isinstance(result, ToolResultMessage)
            assert "rejected" in result.text
    assert CALLS == []


async def test_a_breakpoint_set_from_the_ide_stops_and_an_edit_goes_with_continue(
    tmp_path: Path,
) -> None:
    CALLS.clear()
    async with SQLiteStore(tmp_path / "s.sqlite3") as store, ide(store, STOPPING) as (app, pilot):
        await navigate_mode(app, pilot)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        for key in "before calc*":
            await pilot.press("space" if key == " " else key)
        await pilot.press("enter")
        await pilot.pause()
        assert app.controller is not None
        assert interrupt_settings(app.controller.session).stops("before", "calculator")
        await send(app, pilot, "what is 12*7")
        await until(pilot, lambda: _modal(app) is not None)
        modal = _modal(app)
        assert modal is not None
        area = modal.query_one(TextArea)
        assert area.text == '{"expression":"12*7"}'
        area.text = '{"expression":"6*7"}'
        modal.query_one("#interrupt-continue").focus()
        await _answer(pilot, "enter")
        await until(pilot, lambda: len(CALLS) == 1)
        await settled(pilot)
        assert CALLS == ["6*7"]


async def test_the_modal_shows_arguments_literally_and_escape_leaves_the_run_waiting() -> None:
    from textual.widgets import Label

    from ramify.tui.screens import InterruptChoice, InterruptView
    from tests.tui.hosts import HostApp

    view = InterruptView(
        "n" * 64,
        "approval",
        "The agent wants to run sh[bold]: allow it?",
        (("sh", '{"cmd": "[red]rm[/red] -rf /"}'),),
    )
    answers: list[InterruptChoice | None] = []
    app = HostApp(lambda: Label("host"))
    async with app.run_host() as pilot:
        app.push_screen(InterruptScreen(view), answers.append)
        await pilot.pause()
        text = _shown_text(app.screen)  # type: ignore[arg-type]
        assert 'sh({"cmd": "[red]rm[/red] -rf /"})' in text
        assert "sh[bold]: allow it?" in text
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(InterruptScreen(view), answers.append)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
    assert answers == [None, InterruptChoice("allow_always")]


WRITER = demo_agent.fork(alias="writer", tokens_per_second=0)


def _waiting_rows(app: RamifyApp) -> list[str]:
    """The branch rows of the tree pane that end at a waiting interrupt."""
    rows = app.query_one(BranchTree).branch_rows()
    return [row.ends for row in rows if row.ends.startswith("⏸ waiting")]


async def test_a_plain_agent_breakpoint_from_the_prompt_stops_it_and_the_edit_is_asked(
    tmp_path: Path,
) -> None:
    async with SQLiteStore(tmp_path / "s.sqlite3") as store, ide(store, WRITER) as (app, pilot):
        await navigate_mode(app, pilot)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        for key in "before agent wri*":
            await pilot.press("space" if key == " " else key)
        await pilot.press("enter")
        await pilot.pause()
        assert app.controller is not None
        settings = interrupt_settings(app.controller.session)
        assert settings.stops("before", "writer", "agent")
        assert not settings.stops("before", "writer", "tool")
        await send(app, pilot, "tell me about trees")
        await until(pilot, lambda: _modal(app) is not None)
        modal = _modal(app)
        assert modal is not None
        assert "Breakpoint before writer" in _shown_text(modal)
        # Behind the modal, the tree and the writer's message in the transcript say it waits.
        assert _waiting_rows(app) == ["⏸ waiting at a breakpoint before writer"]
        last = app.query_one(Transcript).views[-1]
        assert (last.sender, last.text) == ("writer", "⏸ waiting at a breakpoint before writer")
        area = modal.query_one(TextArea)
        assert area.text == "tell me about trees"
        area.text = "tell me about rivers"
        modal.query_one("#interrupt-continue").focus()
        await _answer(pilot, "enter")
        await until(pilot, lambda: _modal(app) is None and not _waiting_rows(app))
        await settled(pilot)
        kinds = await _path_kinds(app)
        assert kinds == ["UserMessage", "InterruptMessage", "InterruptAnswer", "AssistantMessage"]
        path = await app.controller.session.path_messages("main")
        assert "rivers" in path[-1][1].text
        assert await pending_interrupts(app.controller.session) == []


async def test_a_plain_agent_waiting_after_its_reply_is_answered_with_w_after_a_restart(
    tmp_path: Path,
) -> None:
    async with SQLiteStore(tmp_path / "s.sqlite3") as store:
        async with Ramify():
            session = await Session.create(store, session_id="waits")
            interrupt_settings(session).add_breakpoint("after", "writer", "agent")
            await session.append(UserMessage("tell me about trees"))
            await session.inquire(WRITER).recorded()
        async with ide(store, WRITER, session_id="waits") as (app, pilot):
            await until(pilot, lambda: _modal(app) is not None)
            await _answer(pilot, "escape")
            assert _modal(app) is None
            await until(pilot, lambda: bool(_waiting_rows(app)))
            assert _waiting_rows(app) == ["⏸ waiting at a breakpoint after writer"]
            await navigate_mode(app, pilot)
            await pilot.press("w")
            await until(pilot, lambda: _modal(app) is not None)
            modal = _modal(app)
            assert modal is not None
            assert not modal.query(TextArea)  # after a reply: nothing to edit
            await _answer(pilot, "ctrl+enter")
            await until(pilot, lambda: not _waiting_rows(app))
            await settled(pilot)
            assert app.controller is not None
            session = app.controller.session
            assert await pending_interrupts(session) == []
            # Continuing did not ask the model again: one reply, then the interrupt and answer.
            assert await _path_kinds(app) == [
                "UserMessage",
                "AssistantMessage",
                "InterruptMessage",
                "InterruptAnswer",
            ]
            assert {run.status for run in await session.runs()} == {RunStatus.DONE}
