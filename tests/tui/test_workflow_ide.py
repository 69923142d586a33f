"""A workflow in the IDE: its board shows live task status, each task streams into its own
pane, Enter on a task jumps to its output node, and Esc cancels it keeping what finished."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from textual.message import Message as TextualMessage
from textual.pilot import Pilot
from textual.widgets import Input

from ramify.core import SQLiteStore, Store
from ramify.core.runs import RunStatus
from ramify.core.workflow import Depends, TaskOutput, TokenSink, Workflow, token_sink
from ramify.tui.agent_loader import load_target_spec
from ramify.tui.app import RamifyApp
from ramify.tui.screens import PromptScreen
from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets import AgentPanes, WorkflowView
from ramify.tui.widgets.stream_pane import StreamPane
from tests.tui.ide import ide, until

pytestmark = pytest.mark.timeout(60)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"


class Ask(BaseModel):
    question: str = "why"


class Plan(BaseModel):
    plan: str


class Answer(BaseModel):
    answer: str


class Gated:
    """A workflow whose `slow` task streams a partial answer, then waits for `release()`."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.released = asyncio.Event()
        self.workflow = Workflow("gated")
        only = self.workflow.state("only", final=True)
        gate = self

        @only.task()
        def planner(ask: Ask) -> Plan:
            return Plan(plan=f"answer {ask.question}")

        @only.task()
        async def slow(plan: Plan, tokens: TokenSink = Depends(token_sink)) -> Answer:
            tokens.put("partial ")
            tokens.put("answer")
            gate.started.set()
            await gate.released.wait()
            return Answer(answer="partial answer, finished")

        planner >> slow  # type: ignore[operator]

    def release(self) -> None:
        self.released.set()


class Broken:
    """A workflow whose second task always fails."""

    def __init__(self) -> None:
        self.workflow = Workflow("broken")
        only = self.workflow.state("only", final=True)

        @only.task()
        def planner(ask: Ask) -> Plan:
            return Plan(plan="go")

        @only.task()
        def crash(plan: Plan) -> Answer:
            raise RuntimeError("the tool is down")

        planner >> crash  # type: ignore[operator]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "wf.db") as opened:
        yield opened


def record_panes(app: RamifyApp) -> dict[str, tuple[str, MessageStatus]]:
    """Every pane that finishes, by its agent alias: its whole text and status."""
    finished: dict[str, tuple[str, MessageStatus]] = {}
    post = app.post_message

    def recording_post(message: TextualMessage) -> bool:
        if isinstance(message, StreamPane.Finished):
            finished[message.pane.state.agent_alias] = (message.text, message.status)
        return post(message)

    app.post_message = recording_post  # type: ignore[method-assign]
    return finished


async def live(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    """Let the app work until `condition()` holds, without waiting for workers to end (the
    workflow's worker is held at its gate meanwhile)."""
    async with asyncio.timeout(20):
        while not condition():
            await pilot.pause()


async def ended(pilot: Pilot[Any], view: WorkflowView) -> None:
    app = pilot.app
    await until(pilot, lambda: view.outcome != "running" and not app.query_one(AgentPanes).keys)


async def test_the_board_shows_live_status_and_enter_jumps_to_a_tasks_output(
    store: Store,
) -> None:
    gated = Gated()
    async with ide(store) as (app, pilot):
        finished = record_panes(app)
        app.start_workflow(gated.workflow, {"question": "how"})
        view = app.query_one(WorkflowView)
        assert not view.has_class("-hidden")
        async with asyncio.timeout(20):
            await gated.started.wait()
        # Live: the planner is done, the slow task is running, highlighted as the current one.
        await live(pilot, lambda: view.statuses[("only", "slow")] == "running")
        assert view.statuses[("only", "planner")] == "done"
        assert view.running == [("only", "slow")]
        row = str(view.get_option_at_index(view.row_of("only", "slow")).prompt)
        assert "▶ slow" in row
        assert "← planner" in row
        # The running task streams into its own pane.
        panes = app.query_one(AgentPanes)
        await live(pilot, lambda: len(panes.keys) == 1)
        assert panes.pane(panes.keys[0]).state.agent_alias == "only/slow"
        gated.release()
        await ended(pilot, view)
        assert view.outcome == "done"
        assert set(view.statuses.values()) == {"done"}
        assert finished["only/slow"] == ("partial answer", MessageStatus.DONE)
        # Enter on the planner's row selects its output node in the tree.
        view.focus()
        view.highlighted = view.row_of("only", "planner")
        await pilot.press("enter")
        controller = app.controller
        assert controller is not None
        await until(pilot, lambda: controller.selected_hash == view.nodes[("only", "planner")])
        node = await controller.session.resolve(view.nodes[("only", "planner")])
        message = await controller.session.store.get_message(node.message)
        assert isinstance(message, TaskOutput)
        assert message.task == "planner"
        assert controller.branch == "workflow-gated-1"


async def test_escape_on_the_board_cancels_the_workflow_keeping_finished_tasks(
    store: Store,
) -> None:
    gated = Gated()
    async with ide(store) as (app, pilot):
        finished = record_panes(app)
        app.start_workflow(gated.workflow, {})
        view = app.query_one(WorkflowView)
        async with asyncio.timeout(20):
            await gated.started.wait()
        await live(pilot, lambda: view.statuses[("only", "slow")] == "running")
        view.focus()
        await pilot.press("escape")
        await ended(pilot, view)
        assert view.outcome == "cancelled"
        assert view.statuses == {("only", "planner"): "done", ("only", "slow"): "cancelled"}
        # The streamed partial stays in its pane's text; the finished task's node stays.
        assert finished["only/slow"] == ("partial answer", MessageStatus.CANCELLED)
        controller = app.controller
        assert controller is not None
        path = await controller.session.path_messages("workflow-gated-1")
        tasks = [m.task for _, m in path if isinstance(m, TaskOutput)]
        assert tasks == ["planner"]
        runs = {run.agent: run for run in await controller.session.runs()}
        assert runs["gated"].status is RunStatus.CANCELLED
        assert runs["gated/only/slow"].status is RunStatus.CANCELLED


async def test_the_streaming_example_on_the_demo_model_streams_each_task_into_its_pane(
    store: Store,
) -> None:
    example = load_target_spec(f"{EXAMPLES / 'streaming.py'}:streaming")
    assert isinstance(example, Workflow)
    async with ide(store) as (app, pilot):
        finished = record_panes(app)
        app.queue_workflow(example, {"topic": "forks"})
        app.start_queued_workflow()
        view = app.query_one(WorkflowView)
        await ended(pilot, view)
        assert view.outcome == "done"
        controller = app.controller
        assert controller is not None
        path = await controller.session.path_messages("workflow-streaming-1")
        outputs = {m.task: m for _, m in path if isinstance(m, TaskOutput)}
        assert list(outputs) == ["outline", "writer", "critic"]
        # Each streaming task's pane got exactly the text it streamed, which is its output.
        article = Answer.model_validate_json(
            outputs["writer"].text.replace('"article"', '"answer"')
        ).answer
        assert finished["draft/writer"] == (article, MessageStatus.DONE)
        assert finished["draft/outline"] == ("", MessageStatus.DONE)
        assert finished["review/critic"][0]


async def test_replaying_an_exported_workflow_run_shows_its_outputs_and_runs_no_task() -> None:
    from ramify.core import MemoryStore, Ramify, Session
    from ramify.core.llm import demo_agent
    from ramify.core.sessionfile import export_markdown, import_markdown
    from ramify.core.workflow import run_workflow
    from ramify.tui.controller import SessionController
    from ramify.tui.widgets import Transcript

    calls: list[str] = []
    wf = Workflow("counted")
    only = wf.state("only", final=True)

    @only.task()
    def planner(ask: Ask) -> Plan:
        calls.append("planner")
        return Plan(plan=f"answer {ask.question}")

    recorded = await Session.create(MemoryStore(), title="recorded")
    await run_workflow(wf, Ask(), session=recorded)
    text = await export_markdown(recorded, "tree")
    store = MemoryStore()
    session = await import_markdown(store, text)
    await session.set_active_branch("workflow-counted-1")
    expected = [m.text for _, m in await session.path_messages("workflow-counted-1")]
    assert calls == ["planner"]

    async def opener(opened: Store) -> SessionController:
        controller = SessionController(session, demo_agent)
        await controller.load()
        return controller

    app = RamifyApp(store, opener, replay_pace=50.0)
    async with Ramify(errors_as_messages=True), app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app._replay_path is None and app._replayed)
        await until(pilot, lambda: len(app.query_one(Transcript).views) == len(expected))
        assert [view.text for view in app.query_one(Transcript).views] == expected
    assert calls == ["planner"]  # the replay showed the outputs; no task ran again


async def test_run_workflow_from_the_palette_key_asks_for_the_file_and_input(
    store: Store,
) -> None:
    async with ide(store) as (app, pilot):
        await pilot.press("f12")
        await live(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*f"{EXAMPLES / 'streaming.py'}:streaming")
        await pilot.press("enter")
        await live(pilot, lambda: "Input for workflow streaming" in _question(app))
        screen = app.screen
        screen.query_one(Input).value = '{"topic": "palettes"}'
        await pilot.press("enter")
        view = app.query_one(WorkflowView)
        await ended(pilot, view)
        assert view.outcome == "done"
        controller = app.controller
        assert controller is not None
        path = await controller.session.path_messages("workflow-streaming-1")
        assert json.loads(path[0][1].text) == {"topic": "palettes"}
        # `w` in navigate mode hides the board and shows it again.
        await pilot.press("ctrl+g", "v")
        assert view.has_class("-hidden")
        await pilot.press("v")
        assert not view.has_class("-hidden")
        assert app.focused is view


async def test_bad_input_json_from_the_palette_is_one_line_and_starts_nothing(
    store: Store,
) -> None:
    async with ide(store, notifications=True) as (app, pilot):
        await pilot.press("f12")
        await live(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*f"{EXAMPLES / 'streaming.py'}:streaming")
        await pilot.press("enter")
        await live(pilot, lambda: "Input for workflow streaming" in _question(app))
        app.screen.query_one(Input).value = "[1]"
        await pilot.press("enter")
        await live(pilot, lambda: bool(app._notifications))
        (notice,) = list(app._notifications)
        assert notice.message == 'the input must be a JSON object, such as {"topic": "x"}'
        assert app.query_one(WorkflowView).workflow is None


def _question(app: RamifyApp) -> str:
    found = app.screen.query("#prompt-question")
    return str(found.first().render()) if found else ""


async def test_quitting_mid_workflow_records_the_run_cancelled_and_exits_cleanly(
    store: Store,
) -> None:
    gated = Gated()
    async with ide(store) as (app, pilot):
        app.start_workflow(gated.workflow, {})
        async with asyncio.timeout(20):
            await gated.started.wait()
        controller = app.controller
        assert controller is not None
        session = controller.session
        await pilot.press("ctrl+q")
        await live(pilot, lambda: not app.is_running)
    assert app.return_code == 0
    runs = {run.agent: run for run in await session.runs()}
    assert runs["gated"].status is RunStatus.CANCELLED
    assert runs["gated/only/planner"].status is RunStatus.DONE


async def test_a_failed_task_shows_failed_and_enter_jumps_to_its_error_node(store: Store) -> None:
    from ramify.core.workflow import TaskError

    async with ide(store, notifications=True) as (app, pilot):
        app.start_workflow(Broken().workflow, {})
        view = app.query_one(WorkflowView)
        await ended(pilot, view)
        assert view.outcome == "failed"
        assert view.statuses == {("only", "planner"): "done", ("only", "crash"): "failed"}
        row = str(view.get_option_at_index(view.row_of("only", "crash")).prompt)
        assert "✗ crash" in row
        notices = [n.message for n in app._notifications]
        assert any("the tool is down" in notice for notice in notices)
        view.focus()
        view.highlighted = view.row_of("only", "crash")
        await pilot.press("enter")
        controller = app.controller
        assert controller is not None
        error_node = view.nodes[("only", "crash")]
        await until(pilot, lambda: controller.selected_hash == error_node)
        node = await controller.session.resolve(error_node)
        assert isinstance(await controller.session.store.get_message(node.message), TaskError)
        assert controller.branch == "workflow-broken-1"
