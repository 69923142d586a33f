"""A tool call live in the agent's pane (running, then done, failed or cancelled), expandable
to its arguments and result shown literally, and re-executed on purpose as a sibling result
(asking first for a tool with effects)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from ramify.core import MemoryStore, Ramify, Session, SQLiteStore, UserMessage
from ramify.core.tools import Tool, agent_with_tools, tool
from ramify.tui.actions import REGISTRY, find_clashes
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.events import StreamOpened
from ramify.tui.screens.confirm import ConfirmScreen
from ramify.tui.view_models import ToolCallView, ToolStatus
from ramify.tui.widgets import AgentPanes, Transcript
from ramify.tui.widgets.message_view import MessageWidget
from ramify.tui.widgets.tool_call_line import ToolCallLine, ToolCallPane
from tests.tui.hosts import HostApp, rendered_text
from tests.tui.ide import ide, navigate_mode, send, settled, until, workers_done

QUESTION = "what is 12*7"


async def test_a_call_line_shows_each_status_and_expands_literally() -> None:
    call = ToolCallView("search", '{"query": "[bold]x[/bold]", "limit": 5}')
    app = HostApp(lambda: ToolCallLine(call))
    async with app.run_host(size=(100, 20)) as pilot:
        await pilot.pause()
        line = app.query_one(ToolCallLine)
        assert rendered_text(line).rstrip() == "▸ search(query=[bold]x[/bold], limit=5)  … running"
        line.set_status(ToolStatus.WAITING)
        await pilot.pause()
        assert "? waiting for approval" in rendered_text(line)
        line.set_status(ToolStatus.DONE, "[red]84[/red] \x1b[31mred\x1b[0m")
        await pilot.pause()
        collapsed = rendered_text(line)
        assert "✓ done" in collapsed
        assert "84" not in collapsed
        await pilot.click(ToolCallLine)
        await pilot.pause()
        assert line.expanded
        shown = rendered_text(line)
        assert "▾ search(" in shown
        assert '"query": "[bold]x[/bold]"' in shown
        assert "[red]84[/red] ␛[31mred␛[0m" in shown
        await pilot.click(ToolCallLine)
        await pilot.pause()
        assert "[red]84[/red]" not in rendered_text(line)
        line.set_status(ToolStatus.FAILED)
        await pilot.pause()
        assert "✗ failed" in rendered_text(line)


class HeldCalculator:
    """A calculator tool that waits for `release()`; counts its calls."""

    def __init__(self, result: str = "[b]84[/b]", *, fail: bool = False, **effects: bool) -> None:
        self.calls: list[str] = []
        self.started = asyncio.Event()
        self.released = asyncio.Event()
        held = self

        @tool(name="calculator", **effects)
        async def calculator(expression: str) -> str:
            held.calls.append(expression)
            held.started.set()
            await held.released.wait()
            if fail:
                raise RuntimeError("the calculator broke")
            return f"{result} (call {len(held.calls)})"

        self.tool: Tool = calculator

    def release(self) -> None:
        self.released.set()


async def _ask_and_hold(app: RamifyApp, pilot: Pilot[Any], held: HeldCalculator) -> ToolCallLine:
    from ramify.tui.widgets import Composer

    composer = app.query_one(Composer)
    composer.area.focus()
    composer.text = QUESTION
    await pilot.press("enter")
    await until(pilot, lambda: held.started.is_set() and bool(app.query(ToolCallPane)))
    return app.query_one(ToolCallPane).line


async def test_a_running_call_shows_live_in_its_pane_then_settles_done(tmp_path: Path) -> None:
    held = HeldCalculator()
    agent = agent_with_tools([held.tool], alias="tools")
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store, agent) as (app, pilot):
        line = await _ask_and_hold(app, pilot, held)
        await until(pilot, lambda: "running" in rendered_text(line))
        assert line.status is ToolStatus.RUNNING
        assert "▸ calculator(expression=12*7)  … running" in rendered_text(line)
        call_id = line.call.call_id
        assert call_id
        assert app.query_one(AgentPanes).tool_line(call_id) is line
        assert app.query_one(AgentPanes).tool_line("no such call") is None
        line.set_status(ToolStatus.WAITING)
        await pilot.pause()
        assert "? waiting for approval" in rendered_text(line)
        line.set_status(ToolStatus.RUNNING)
        header = rendered_text(app.query_one(ToolCallPane).header)
        assert header.split()[:2] == ["tools", "tool"]
        assert "connecting" not in header
        assert "tok" not in header
        held.release()
        await until(pilot, lambda: line.status is ToolStatus.DONE)
        assert line.result == "[b]84[/b] (call 1)"
        await settled(pilot)
        assert not app.query_one(AgentPanes).keys
        views = app.query_one(Transcript).views
        assert views[2].tool_name == "calculator"
        assert views[2].text == "[b]84[/b] (call 1)"


async def test_a_call_that_raises_settles_failed(tmp_path: Path) -> None:
    held = HeldCalculator(fail=True)
    agent = agent_with_tools([held.tool], alias="tools")
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store, agent) as (app, pilot):
        line = await _ask_and_hold(app, pilot, held)
        held.release()
        await until(pilot, lambda: line.status is ToolStatus.FAILED)
        assert "the calculator broke" in (line.result or "")
        await settled(pilot)
        assert app.query_one(Transcript).views[2].tool_failed


async def test_cancelling_the_run_settles_a_running_call_cancelled(tmp_path: Path) -> None:
    held = HeldCalculator()
    agent = agent_with_tools([held.tool], alias="tools")
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store, agent) as (app, pilot):
        line = await _ask_and_hold(app, pilot, held)
        app.action_cancel()
        await until(pilot, lambda: line.status is ToolStatus.CANCELLED)
        await settled(pilot)


async def _select_result(app: RamifyApp, pilot: Pilot[Any]) -> str:
    """Select the first tool result of the path (navigate mode); its node hash."""
    controller = app.controller
    assert controller is not None
    await navigate_mode(app, pilot)
    result = app.query_one(Transcript).views[2]
    assert result.tool_name == "calculator"
    controller.select_hash(result.node_hash)
    assert controller.selected_hash == result.node_hash
    return result.node_hash


async def test_reexecute_runs_the_call_again_as_a_sibling_result(tmp_path: Path) -> None:
    held = HeldCalculator()
    held.release()
    agent = agent_with_tools([held.tool], alias="tools")
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store, agent) as (app, pilot):
        await send(app, pilot, QUESTION)
        assert held.calls == ["12*7"]
        old = await _select_result(app, pilot)
        await pilot.press("R")
        await until(pilot, lambda: len(held.calls) == 2)
        await settled(pilot)
        controller = app.controller
        assert controller is not None
        await until(pilot, lambda: controller.branch == "reexecute-1")
        new = controller.path[-1]
        assert new != old
        assert set(controller.siblings(new)) == {old, new}
        assert app.query_one(Transcript).views[-1].text == "[b]84[/b] (call 2)"
        assert held.calls == ["12*7", "12*7"]


async def test_a_destructive_tool_asks_first_and_a_no_runs_nothing(tmp_path: Path) -> None:
    held = HeldCalculator(destructive=True)
    held.release()
    agent = agent_with_tools([held.tool], alias="tools", policies={"*": "allow"})
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store, agent) as (app, pilot):
        await send(app, pilot, QUESTION)
        await _select_result(app, pilot)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "destructive" in app.screen.query_one("#confirm-question").render().plain  # type: ignore[attr-defined]
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await workers_done(app)
        await pilot.pause()
        assert held.calls == ["12*7"]
        await _select_result(app, pilot)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: len(held.calls) == 2)
        await settled(pilot)


async def test_reexecute_on_a_message_that_is_no_tool_result_runs_nothing(
    tmp_path: Path,
) -> None:
    held = HeldCalculator()
    held.release()
    agent = agent_with_tools([held.tool], alias="tools")
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store, agent) as (app, pilot):
        await send(app, pilot, QUESTION)
        await navigate_mode(app, pilot)
        controller = app.controller
        assert controller is not None
        controller.select(0)
        await pilot.press("R")
        await workers_done(app)
        await pilot.pause()
        assert held.calls == ["12*7"]
        assert "reexecute-1" not in controller.heads


async def test_the_details_key_expands_the_selected_tool_result(tmp_path: Path) -> None:
    held = HeldCalculator()
    held.release()
    agent = agent_with_tools([held.tool], alias="tools")
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store, agent) as (app, pilot):
        await send(app, pilot, QUESTION)
        node = await _select_result(app, pilot)
        widget = next(w for w in app.query(MessageWidget) if w.node_hash == node)
        await pilot.press("x")
        await until(pilot, lambda: widget.expanded)
        assert "[b]84[/b] (call 1)" in rendered_text(widget)
        await pilot.press("x")
        await until(pilot, lambda: not widget.expanded)


def test_the_tool_actions_are_registered_without_clashes() -> None:
    assert REGISTRY["tool.reexecute"].key == "R"
    assert REGISTRY["tool.details"].key == "x"
    assert find_clashes() == {}


async def test_a_replayed_tool_result_streams_as_its_call_line() -> None:
    held = HeldCalculator()
    held.release()
    agent = agent_with_tools([held.tool], alias="tools")
    async with Ramify():
        session = await Session.create(MemoryStore(), title="tools")
        await session.append(UserMessage(QUESTION))
        await session.inquire(agent, tokens_per_second=0).recorded()
    store = session.store

    async def opener(opened: object) -> SessionController:
        controller = SessionController(session, agent)
        await controller.load()
        return controller

    seen: list[object] = []
    app = RamifyApp(store, opener, replay_pace=50.0)
    async with (
        Ramify(errors_as_messages=True),
        app.run_test(size=(120, 40), message_hook=seen.append) as pilot,
    ):
        await until(pilot, lambda: app._replay_path is None and app._replayed)
    opened = [message for message in seen if isinstance(message, StreamOpened)]
    calls = [message.tool_call for message in opened if message.tool_call is not None]
    assert calls == [ToolCallView("calculator", '{"expression":"12*7"}')]
    assert held.calls == ["12*7"]


async def test_a_tool_this_ide_has_not_loaded_is_not_reexecuted(tmp_path: Path) -> None:
    held = HeldCalculator()
    held.release()
    agent = agent_with_tools([held.tool], alias="elsewhere")
    async with SQLiteStore(tmp_path / "ide.db") as store:
        async with Ramify():
            recorded = await Session.create(store, title="recorded elsewhere")
            await recorded.append(UserMessage(QUESTION))
            await recorded.inquire(agent, tokens_per_second=0).recorded()
        async with ide(store) as (app, pilot):
            await until(pilot, lambda: len(app.query_one(Transcript).views) == 4)
            await _select_result(app, pilot)
            await pilot.press("R")
            await until(pilot, lambda: bool(app._notifications))
            toasts = "\n".join(str(toast.message) for toast in app._notifications)
            assert "the tool calculator is not loaded in this IDE" in toasts
            controller = app.controller
            assert controller is not None
            assert "reexecute-1" not in controller.heads
    assert held.calls == ["12*7"]
