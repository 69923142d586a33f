"""Tool calls in the transcript: collapsed to name, short arguments and status; a click shows
the full arguments and result; model output stays literal."""

from __future__ import annotations

from pathlib import Path

from ramify.core import MemoryStore, Ramify, Session, SQLiteStore, UserMessage
from ramify.core.tools import agent_with_tools, demo_tool_agent, tool
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.view_models import MessageView, ToolCallView
from ramify.tui.widgets import Transcript
from ramify.tui.widgets.message_view import MessageWidget
from tests.tui.hosts import HostApp, rendered_text
from tests.tui.ide import ide, send, until


def test_a_call_is_shown_short_and_whole() -> None:
    call = ToolCallView("search", '{"query": "[bold]x[/bold]", "limit": 5}')
    assert call.short() == "search(query=[bold]x[/bold], limit=5)"
    assert call.full() == '{\n  "query": "[bold]x[/bold]",\n  "limit": 5\n}'
    long = ToolCallView("write", '{"text": "' + "y" * 200 + '"}')
    assert long.short().endswith("…)")
    assert len(long.short()) == len("write()") + 60
    assert ToolCallView("bad", "{not json").short() == "bad({not json)"


async def test_the_controller_describes_calls_and_results() -> None:
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage("what is 12*7"))
        await session.inquire(demo_tool_agent, tokens_per_second=0).recorded()
        controller = SessionController(session, demo_tool_agent)
        await controller.load()
        views = await controller.views(0, 4)
    assert views[1].tool_calls == (ToolCallView("calculator", '{"expression":"12*7"}'),)
    assert views[1].tool_name is None
    assert (views[2].role, views[2].tool_name, views[2].tool_failed) == (
        "tool",
        "calculator",
        False,
    )
    assert views[3].tool_calls == ()
    assert not views[3].has_tool_details


async def test_a_result_shows_collapsed_and_expands_on_click() -> None:
    result = "[red]84[/red] " + "z" * 120 + " END"
    view = MessageView("e" * 64, "tools", "tool", result, tool_name="calc[i]")
    app = HostApp(lambda: MessageWidget(view))
    async with app.run_host(size=(120, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(MessageWidget)
        collapsed = rendered_text(widget)
        assert "▸ calc[i] → [red]84[/red]" in collapsed
        assert "done" in collapsed
        assert "END" not in collapsed
        await pilot.click(MessageWidget)
        await pilot.pause()
        assert widget.expanded
        expanded = rendered_text(widget)
        assert "▾ calc[i] →" in expanded
        assert "END" in expanded
        await pilot.click(MessageWidget)
        await pilot.pause()
        assert "END" not in rendered_text(widget)


async def test_a_failed_result_and_an_assistant_messages_calls_are_shown() -> None:
    failed = MessageView(
        "f" * 64, "tools", "tool", "Error: boom", tool_name="calc", tool_failed=True
    )
    asking = MessageView(
        "a" * 64,
        "tools",
        "assistant",
        "Let me see.",
        tool_calls=(ToolCallView("calc", '{"expression": "1+1"}'),),
    )
    app = HostApp(lambda: [MessageWidget(failed), MessageWidget(asking)])
    async with app.run_host(size=(120, 30)) as pilot:
        await pilot.pause()
        first, second = app.query(MessageWidget)
        assert "failed" in rendered_text(first)
        shown = rendered_text(second)
        assert "Let me see." in shown
        assert "▸ calc(expression=1+1)" in shown
        second.expanded = True
        await pilot.pause()
        assert '"expression": "1+1"' in rendered_text(second)


async def test_the_ide_runs_the_tool_loop_and_settles_every_step(tmp_path: Path) -> None:
    async with (
        SQLiteStore(tmp_path / "ide.db") as store,
        ide(store, target=demo_tool_agent.fork(tokens_per_second=0)) as (app, pilot),
    ):
        await send(app, pilot, "what is 12*7")
        await until(pilot, lambda: len(app.query_one(Transcript).views) == 4)
        widgets = list(app.query(MessageWidget))
        texts = [rendered_text(widget) for widget in widgets]
        assert "▸ calculator(expression=12*7)" in texts[1]
        assert "▸ calculator → 84" in texts[2]
        assert "done" in texts[2]
        assert "**84**" in app.query_one(Transcript).views[3].text


async def test_replaying_a_tool_session_in_the_ide_calls_no_tool() -> None:
    calls: list[str] = []

    @tool(name="calculator")
    def counting(expression: str) -> str:
        calls.append(expression)
        return f"{expression} (call {len(calls)})"

    agent = agent_with_tools([counting], alias="counting")
    async with Ramify():
        recorded = await Session.create(MemoryStore(), title="tools")
        await recorded.append(UserMessage("what is 12*7"))
        await recorded.inquire(agent, tokens_per_second=0).recorded()
        text = await recorded.export_markdown()
    assert calls == ["12*7"]

    store = MemoryStore()
    session = await Session.import_markdown(store, text)

    async def opener(opened: object) -> SessionController:
        controller = SessionController(session, agent)
        await controller.load()
        return controller

    app = RamifyApp(store, opener, replay_pace=50.0)
    async with Ramify(errors_as_messages=True), app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.controller is not None)
        await until(pilot, lambda: app._replay_path is None and app._replayed)
        await until(pilot, lambda: len(app.query_one(Transcript).views) == 4)
        shown = [view.text for view in app.query_one(Transcript).views]
    assert shown[2] == "12*7 (call 1)"
    assert calls == ["12*7"]
