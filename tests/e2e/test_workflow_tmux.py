"""`ramify FILE.py:NAME --input JSON` on a Workflow, in a real terminal (tmux): the IDE opens
on the workflow's board, the tasks stream and finish live, and the run is saved to disk. A
`ramify run` killed with SIGKILL mid-workflow goes on when `ramify` opens its session."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from ramify.core import Session, SQLiteStore
from ramify.core.workflow import TaskOutput
from tests.e2e.terminal import TMUX, Terminal
from tests.e2e.test_tmux import RamifyCommand, ramify  # noqa: F401 - the fixture
from tests.tui.test_workflow_autoresume import GATED

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


def _kill_the_command(terminal: Terminal) -> None:
    """SIGKILL the command the pane runs (its shell's only child), as `kill -9` would."""
    shell = int(terminal.tmux("display-message", "-p", "#{pane_pid}").strip())
    (child,) = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    os.kill(int(child), signal.SIGKILL)


def _count(folder: Path, task: str) -> int:
    path = folder / f"count-{task}"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.parametrize("started_by", ["ramify run", "the IDE"])
def test_a_workflow_killed_mid_run_goes_on_when_the_ide_opens_its_session(
    ramify: RamifyCommand,  # noqa: F811 - the fixture
    tmp_path: Path,
    started_by: str,
) -> None:
    spec = tmp_path / "gated.py"
    spec.write_text(GATED)
    (tmp_path / "hold").write_text("")  # `second` waits for ever while it is there
    if started_by == "ramify run":
        first = ramify.start("run", f"{spec}:gated", "--input", '{"n": 4}')
        first.wait_for("second is waiting", "the second task running")
        assert "work/first: done" in first.screen()
    else:
        first = ramify.start("--demo", f"{spec}:gated", "--input", '{"n": 4}')
        first.wait_for("▶ second  running", "the second task running on the board")
        assert "✓ first" in first.screen()
    _kill_the_command(first)
    assert first.wait_for_exit() == 128 + signal.SIGKILL
    (tmp_path / "hold").unlink()

    ide = ramify.start("--demo")  # the last session: the killed run's
    ide.wait_for("Resuming workflow gated (1 task done, 1 left)", "the resuming notice")
    screen = ide.wait_for("workflow gated: done", "the resumed run finished", deadline=60)
    assert "✓ first" in screen
    assert "✓ second" in screen
    assert "Traceback" not in screen
    ide.press("C-q")
    assert ide.wait_for_exit() == 0, ide.screen()
    # The task that finished before the kill ran once; the one it interrupted ran again.
    assert (_count(tmp_path, "first"), _count(tmp_path, "second")) == (1, 2)
