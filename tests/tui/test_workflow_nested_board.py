"""A workflow holding a sub-workflow and a network in the IDE: the board shows the nested
tasks with what they hold and their status, and the sub-workflow's own states and tasks live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import SQLiteStore, Store
from ramify.core.workflow import Workflow
from ramify.tui.agent_loader import load_target_spec
from ramify.tui.app import RamifyApp
from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets import AgentPanes, WorkflowView
from ramify.tui.widgets.stream_pane import StreamPane
from ramify.tui.workflow_board import BoardTask, board_of
from tests.tui.ide import ide, until

pytestmark = pytest.mark.timeout(60)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "wf.db") as opened:
        yield opened


def example(name: str, target: str) -> Workflow:
    workflow = load_target_spec(f"{EXAMPLES / name}:{target}")
    assert isinstance(workflow, Workflow)
    return workflow


def test_the_board_of_a_nested_workflow_lists_the_inner_states_under_their_task() -> None:
    board = board_of(example("nested.py", "publish"))
    assert [state.name for state in board] == ["write", "write/edit/draft", "write/edit/polish"]
    assert board[0].tasks[1] == BoardTask("edit", ("outline",), "workflow editing")
    assert board[1].next_states == ("write/edit/polish", "write/edit/draft")
    hiring = board_of(example("network_in_state.py", "hiring"))
    assert [state.name for state in hiring] == ["decide"]
    assert hiring[0].tasks[1].holds == "network panel"


def finished_panes(app: RamifyApp) -> dict[str, MessageStatus]:
    finished: dict[str, MessageStatus] = {}
    post = app.post_message

    def recording_post(message: object) -> bool:
        if isinstance(message, StreamPane.Finished):
            finished[message.pane.state.agent_alias] = message.status
        return post(message)  # type: ignore[arg-type]

    app.post_message = recording_post  # type: ignore[method-assign]
    return finished


async def test_the_board_shows_the_nested_task_and_its_inner_tasks_done(store: Store) -> None:
    async with ide(store) as (app, pilot):
        finished = finished_panes(app)
        app.start_workflow(example("nested.py", "publish"), {"topic": "trees"})
        view = app.query_one(WorkflowView)
        await until(pilot, lambda: view.outcome != "running" and not app.query_one(AgentPanes).keys)
        assert view.outcome == "done"
        assert view.statuses[("write", "edit")] == "done"
        assert view.statuses[("write/edit/draft", "draft")] == "done"
        assert view.statuses[("write/edit/polish", "polish")] == "done"
        row = str(view.get_option_at_index(view.row_of("write", "edit")).prompt)
        assert "✓ edit" in row
        assert "[workflow editing]" in row
        # Each inner task had its own pane, named by its place.
        assert finished["write/edit/polish/polish"] is MessageStatus.DONE
        assert finished["write/edit"] is MessageStatus.DONE
