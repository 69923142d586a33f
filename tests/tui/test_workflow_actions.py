"""The IDE's workflow actions (navigate mode `w` and `x`, or the palette): resume the run of
the selected node, rerun the selected task on a new branch; asserted on the session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import RunStatus, Session, SQLiteStore, Store
from ramify.core.workflow import WorkflowTaskFailed, run_workflow
from ramify.tui.screens import PromptScreen
from ramify.tui.workflow_loader import load_workflow_spec
from tests.tui.ide import ide, navigate_mode, until

pytestmark = pytest.mark.timeout(60)

# Counts each task's executions in files beside it (a reload of the file starts afresh, so
# no module state would survive); `second` fails once while the `fail-once` file exists.
FLOW = """
from pathlib import Path
from pydantic import BaseModel
from ramify.core.workflow import Workflow

HERE = Path(__file__).parent


class Num(BaseModel):
    n: int


class First(BaseModel):
    first: int


class Second(BaseModel):
    second: int


def count(name):
    with open(HERE / f"count-{name}", "a") as handle:
        handle.write("ran\\n")


flow = Workflow("flow")
only = flow.state("only", final=True)


@only.task()
def first(x: Num) -> First:
    count("first")
    return First(first=x.n + 1)


@only.task()
def second(x: First) -> Second:
    count("second")
    flag = HERE / "fail-once"
    if flag.exists():
        flag.unlink()
        raise RuntimeError("failed once")
    return Second(second=x.first * 10)


first >> second
"""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


def _runs(folder: Path, task: str) -> int:
    path = folder / f"count-{task}"
    return len(path.read_text().splitlines()) if path.exists() else 0


async def _recorded_run(
    store: Store, folder: Path, *, fail: bool
) -> tuple[Session, dict[str, str]]:
    """A session holding one run of the flow (failed in `second` when `fail`), checked out."""
    spec = folder / "flow.py"
    spec.write_text(FLOW)
    if fail:
        (folder / "fail-once").write_text("")
    workflow, source = load_workflow_spec(f"{spec}:flow")
    session = await Session.create(store, title="flow")
    try:
        result = await run_workflow(workflow, {"n": 1}, session=session, source=source)
    except WorkflowTaskFailed as error:
        result = error.result
    await session.set_active_branch(result.branch)
    nodes = {task: node.hash_key for (_, task), node in result.nodes.items()}
    return session, nodes


async def test_rerun_task_makes_a_branch_and_leaves_the_original(
    store: Store, tmp_path: Path
) -> None:
    session, nodes = await _recorded_run(store, tmp_path, fail=False)
    original_head = (await session.head("workflow-flow-1")).hash_key  # type: ignore[union-attr]
    async with ide(store, session_id=session.id) as (app, pilot):
        controller = app.controller
        assert controller is not None
        assert controller.select_hash(nodes["second"])
        await navigate_mode(app, pilot)
        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("enter")  # the proposed name
        await until(pilot, lambda: controller.branch == "rerun-1")
        assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 2)
        assert (await session.head("workflow-flow-1")).hash_key == original_head  # type: ignore[union-attr]
        assert nodes["first"] in controller.path


async def test_resume_runs_the_failed_task_again_and_not_the_finished_one(
    store: Store, tmp_path: Path
) -> None:
    session, nodes = await _recorded_run(store, tmp_path, fail=True)
    run_id = (await session.runs())[0].id
    async with ide(store, session_id=session.id) as (app, pilot):
        controller = app.controller
        assert controller is not None
        await navigate_mode(app, pilot)
        # The branch ends at the failed task's error node, selected on opening.
        assert controller.selected_hash == nodes["second"]
        await pilot.press("W")
        await until(pilot, lambda: _runs(tmp_path, "second") == 2 and not app.workers._workers)
        run = await session.get_run(run_id)
        assert run.status is RunStatus.DONE
        assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 2)
        await until(pilot, lambda: controller.path[-1] == run.output_nodes[0])
