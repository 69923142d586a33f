"""`ramify FILE.py:NAME --input JSON` on a Workflow, in a real terminal (tmux): the IDE opens
on the workflow's board, the tasks stream and finish live, and the run is saved to disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ramify.core import Session, SQLiteStore
from ramify.core.workflow import TaskOutput
from tests.e2e.terminal import TMUX
from tests.e2e.test_tmux import RamifyCommand, ramify  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(90),
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workflows" / "streaming.py"


def test_a_workflow_opens_on_its_board_and_finishes_in_a_real_terminal(
    ramify: RamifyCommand,  # noqa: F811 - the fixture
) -> None:
    terminal = ramify.start("--demo", f"{EXAMPLE}:streaming", "--input", '{"topic": "forks"}')
    terminal.wait_for("workflow streaming: running", "the workflow board")
    screen = terminal.wait_for("workflow streaming: done", "the workflow finished", deadline=60)
    for task in ("outline", "writer", "critic"):
        assert f"✓ {task}" in screen
    assert "review (final)" in screen
    assert "Traceback" not in screen
    terminal.press("C-q")
    assert terminal.wait_for_exit() == 0, terminal.screen()

    async def saved() -> list[str]:
        async with SQLiteStore(ramify.database) as store:
            (record,) = await store.list_sessions()
            session = await Session.open(store, record.id)
            path = await session.path_messages("workflow-streaming-1")
            return [m.task for _, m in path if isinstance(m, TaskOutput)]

    assert asyncio.run(saved()) == ["outline", "writer", "critic"]


def test_bad_workflow_input_is_one_line_saying_what_to_write(ramify: RamifyCommand) -> None:  # noqa: F811
    terminal = ramify.start(f"{EXAMPLE}:streaming", "--input", "[1, 2]")
    assert terminal.wait_for_exit() == 2
    screen = terminal.screen()
    assert "ramify: --input: the input must be a JSON object" in screen
    assert "Traceback" not in screen
