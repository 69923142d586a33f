"""A workflow task's breakpoint in the IDE: a run left waiting before a restart asks again
when its session opens, and continuing with an edit goes on from the tree (real SQLite file,
the workflow loaded from the file the run recorded)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pydantic import BaseModel
from textual.widgets import TextArea

from ramify.core import RunStatus, Session, SQLiteStore
from ramify.core.tools import interrupt_settings, pending_interrupts
from ramify.core.workflow import Workflow, WorkflowWaiting, run_workflow
from ramify.tui.app import RamifyApp
from ramify.tui.app_interrupts import parse_breakpoint
from ramify.tui.screens import InterruptScreen
from ramify.tui.widgets import WorkflowView
from ramify.tui.workflow_loader import load_workflow_spec
from tests.tui.ide import ide, settled, until
from tests.tui.test_workflow_actions import FLOW, _runs

pytestmark = pytest.mark.timeout(60)


def _modal(app: RamifyApp) -> InterruptScreen | None:
    screen = app.screen
    return screen if isinstance(screen, InterruptScreen) else None


def test_the_breakpoint_prompt_reads_the_task_kind() -> None:
    assert parse_breakpoint("before task second") == ("before", "task", "second")


async def test_a_waiting_workflow_asks_on_opening_and_an_edited_input_goes_on(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "flow.py"
    spec.write_text(FLOW)
    workflow, source = load_workflow_spec(f"{spec}:flow")
    async with SQLiteStore(tmp_path / "ide.db") as store:
        session = await Session.create(store, title="flow")
        interrupt_settings(session).add_breakpoint("before", "second", "task")
        with pytest.raises(WorkflowWaiting) as raised:
            await run_workflow(workflow, {"n": 1}, session=session, source=source)
        assert raised.value.result is not None
        await session.set_active_branch(raised.value.result.branch)
        assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 0)

    # A restart: a new store over the same file, a new IDE.
    async with (
        SQLiteStore(tmp_path / "ide.db") as store,
        ide(store, session_id=session.id) as (app, pilot),
    ):
        await until(pilot, lambda: _modal(app) is not None)
        modal = _modal(app)
        assert modal is not None
        area = modal.query_one(TextArea)
        assert area.text == '{"first":2}'
        area.text = '{"first": 5}'
        modal.query_one("#interrupt-continue").focus()
        await pilot.press("enter")
        await until(pilot, lambda: _runs(tmp_path, "second") == 1)
        controller = app.controller
        assert controller is not None
        run = (await controller.session.runs())[0]
        await until(pilot, lambda: controller.branch == raised.value.result.branch)
        await settled(pilot)
        run = await controller.session.get_run(run.id)
        assert run.status is RunStatus.DONE
        assert await pending_interrupts(controller.session) == []
        head = await controller.session.path_messages(controller.branch)
        assert head[-1][1].text.endswith('"second": 50}')
    assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 1)


class Ask(BaseModel):
    question: str = "why"


class Plan(BaseModel):
    plan: str


class Answer(BaseModel):
    answer: str


def planned() -> Workflow:
    workflow = Workflow("planned")
    only = workflow.state("only", final=True)

    @only.task()
    def planner(ask: Ask) -> Plan:
        return Plan(plan=f"answer {ask.question}")

    @only.task()
    def writer(plan: Plan) -> Answer:
        return Answer(answer=plan.plan.upper())

    planner >> writer  # type: ignore[operator]
    return workflow


async def test_a_board_run_stopped_after_a_task_shows_it_waiting_and_continues_with_an_edit(
    tmp_path: Path,
) -> None:
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store) as (app, pilot):
        controller = app.controller
        assert controller is not None
        interrupt_settings(controller.session).add_breakpoint("after", "planner", "task")
        app.start_workflow(planned(), {"question": "how"})
        view = app.query_one(WorkflowView)
        await until(pilot, lambda: _modal(app) is not None)
        assert view.outcome == "waiting"
        # The stopped task shows its breakpoint; the one reading it still waits for it.
        assert view.statuses == {("only", "planner"): "breakpoint", ("only", "writer"): "waiting"}
        assert "⏸ planner" in str(view.get_option_at_index(view.row_of("only", "planner")).prompt)
        modal = _modal(app)
        assert modal is not None
        area = modal.query_one(TextArea)
        assert area.text == '{"plan":"answer how"}'
        area.text = '{"plan": "edited"}'
        modal.query_one("#interrupt-continue").focus()
        await pilot.press("enter")
        await until(pilot, lambda: view.outcome == "done")
        assert set(view.statuses.values()) == {"done"}
        await settled(pilot)
        path = await controller.session.path_messages(controller.branch)
        assert json.loads(path[-1][1].text)["answer"] == "EDITED"
        assert await pending_interrupts(controller.session) == []


async def test_a_run_continued_from_a_breakpoint_is_the_boards_and_esc_cancels_it(
    tmp_path: Path,
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    workflow = Workflow("held")
    only = workflow.state("only", final=True)

    @only.task()
    def planner(ask: Ask) -> Plan:
        return Plan(plan=ask.question)

    @only.task()
    async def writer(plan: Plan) -> Answer:
        started.set()
        await release.wait()  # never set: only Esc ends this task
        return Answer(answer=plan.plan)

    planner >> writer  # type: ignore[operator]
    async with SQLiteStore(tmp_path / "ide.db") as store, ide(store) as (app, pilot):
        controller = app.controller
        assert controller is not None
        interrupt_settings(controller.session).add_breakpoint("before", "writer", "task")
        app.start_workflow(workflow, {"question": "how"})
        view = app.query_one(WorkflowView)
        await until(pilot, lambda: _modal(app) is not None)
        assert not app.workflow_running
        modal = _modal(app)
        assert modal is not None
        modal.query_one("#interrupt-continue").focus()
        await pilot.press("enter")
        await until(pilot, started.is_set)
        assert app.workflow_running
        assert view.statuses[("only", "writer")] == "running"
        view.focus()
        await pilot.press("escape")
        await until(pilot, lambda: view.outcome == "cancelled")
        assert not app.workflow_running
        runs = {run.agent: run for run in await controller.session.runs()}
        assert runs["held/only/writer"].status is RunStatus.CANCELLED
