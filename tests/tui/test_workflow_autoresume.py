"""Reopening a session whose workflow run's process was killed (SIGKILL, mid-run) continues
the run in the IDE on its own, on the board, with a one-line notice: finished tasks are not
run again. A run the user cancelled is left alone, a definition that cannot be loaded or a
run waiting on a person is one line instead, a run another IDE already resumes is not run
twice, and `auto_resume=False` (``ramify --no-resume``) leaves it all to `W`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ramify.core import Ramify, RunStatus, Session, SQLiteStore, Store
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.widgets import WorkflowView
from tests.tui.ide import AGENTS, echo, ide, navigate_mode, until, workers_done

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

# `second` counts its executions; while the file `hold` is beside it, it then waits for ever
# (until its process is killed, or the run cancelled). Counting in files: the IDE loads the
# file afresh, so module state would not survive.
GATED = """
import asyncio, sys
from pathlib import Path
from pydantic import BaseModel
from ramify.core.workflow import Workflow

HERE = Path(__file__).parent


class Job(BaseModel):
    n: int


class First(BaseModel):
    first: int


class Second(BaseModel):
    second: int


def count(name):
    with open(HERE / f"count-{name}", "a") as handle:
        handle.write("ran\\n")


gated = Workflow("gated")
work = gated.state("work", final=True)


@work.task()
def first(job: Job) -> First:
    count("first")
    return First(first=job.n + 1)


@work.task()
async def second(value: First) -> Second:
    count("second")
    if (HERE / "hold").exists():
        print("second is waiting", file=sys.stderr, flush=True)
        await asyncio.Event().wait()
    return Second(second=value.first * 10)


first >> second
"""

NOTICE = "Resuming workflow gated (1 task done, 1 left) — Esc cancels"


def _runs(folder: Path, task: str) -> int:
    path = folder / f"count-{task}"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _killed_mid_run(folder: Path) -> Path:
    """`ramify run` of the gated workflow, SIGKILLed once `first` is done and `second` waits.

    Returns the database; `hold` is still there (a resumed `second` waits again)."""
    spec = folder / "gated.py"
    spec.write_text(GATED)
    (folder / "hold").write_text("")
    database = folder / "wf.db"
    environment = {k: v for k, v in os.environ.items() if k not in ("RAMIFY_STORE", "PGHOST")}
    environment |= {"RAMIFY_HOME": str(folder), "RAMIFY_CONFIG": str(folder / "config.toml")}
    command = ["run", f"{spec}:gated", "--input", '{"n": 4}', "--store", str(database)]
    child = subprocess.Popen(
        [sys.executable, "-m", "ramify.tui.cli", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    assert child.stderr is not None
    seen = []
    for line in child.stderr:
        seen.append(line)
        if line.strip() == "second is waiting":
            break
    assert "work/first: done\n" in seen, "".join(seen)
    child.send_signal(signal.SIGKILL)
    child.wait()  # reaped: its pid reads as gone
    assert (_runs(folder, "first"), _runs(folder, "second")) == (1, 1)
    return database


@pytest.fixture
async def killed(tmp_path: Path) -> AsyncIterator[Store]:
    database = _killed_mid_run(tmp_path)
    async with SQLiteStore(database) as store:
        yield store


def _toasts(app: RamifyApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def _workflow_run(store: Store) -> Any:
    (run,) = [r for r in await store.list_runs() if r.parent_run_id is None]
    return run


async def _looked(app: RamifyApp, pilot: Pilot[Any]) -> None:
    """Wait until the IDE has looked for an interrupted run (and what it started ended)."""
    await until(
        pilot,
        lambda: not any(w.group == "workflow-resume" for w in app.workers._workers),
    )
    await workers_done(app)
    await pilot.pause()


async def test_reopening_continues_the_killed_run_without_rerunning_finished_tasks(
    killed: Store, tmp_path: Path
) -> None:
    (tmp_path / "hold").unlink()
    async with ide(killed, notifications=True) as (app, pilot):
        await until(pilot, lambda: any("Resuming" in t for t in _toasts(app)))
        assert [t for t in _toasts(app) if "Resuming" in t] == [NOTICE]
        board = app.query_one(WorkflowView)
        assert not board.has_class("-hidden")
        await until(pilot, lambda: board.outcome == "done")
        assert board.statuses == {("work", "first"): "done", ("work", "second"): "done"}
        controller = app.controller
        assert controller is not None
        await until(pilot, lambda: controller.branch == "workflow-gated-1")
        run = await _workflow_run(killed)
        assert run.status is RunStatus.DONE
        # The finished task ran once (before the kill); the interrupted one ran again.
        assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 2)
    # Reopened once more: the run finished, nothing is resumed or run.
    async with ide(killed, notifications=True) as (app, pilot):
        await _looked(app, pilot)
        assert not [t for t in _toasts(app) if "Resuming" in t or "gated" in t]
        assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 2)


async def test_a_run_cancelled_with_esc_is_not_resumed_on_reopening(
    killed: Store, tmp_path: Path
) -> None:
    async with ide(killed, notifications=True) as (app, pilot):
        await until(pilot, lambda: _runs(tmp_path, "second") == 2)  # resumed, waiting again
        await pilot.press("escape")  # in the message box, no reply streaming: the workflow
        await until(pilot, lambda: not app.workflow_running)
        assert (await _workflow_run(killed)).status is RunStatus.CANCELLED
    async with ide(killed, notifications=True) as (app, pilot):
        await _looked(app, pilot)
        assert not [t for t in _toasts(app) if "Resuming" in t]
        assert (await _workflow_run(killed)).status is RunStatus.CANCELLED
        assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 2)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ("gone", "file not found: "),
        ("broken", "raised SyntaxError"),
        ("renamed", "now defines workflow other"),
    ],
)
async def test_a_definition_that_cannot_be_loaded_is_one_line_and_runs_nothing(
    killed: Store, tmp_path: Path, change: str, says: str
) -> None:
    spec = tmp_path / "gated.py"
    if change == "gone":
        spec.unlink()
    elif change == "broken":
        spec.write_text("def oops(:\n")
    else:
        spec.write_text(GATED.replace('Workflow("gated")', 'Workflow("other")'))
    async with ide(killed, notifications=True) as (app, pilot):
        await _looked(app, pilot)
        (line,) = [t for t in _toasts(app) if "gated" in t]
        assert line.startswith("Workflow gated was interrupted and cannot be resumed: ")
        assert says in line
        assert "fix its file, then W on its run resumes it" in line
        assert "\n" not in line
        assert not app.workflow_running
        assert (await _workflow_run(killed)).status is RunStatus.INTERRUPTED
        assert _runs(tmp_path, "second") == 1
        # Fixed, `W` on the run (its branch still ends at its input) resumes it on the board.
        spec.write_text(GATED)
        (tmp_path / "hold").unlink()
        await navigate_mode(app, pilot)
        await pilot.press("W")
        await until(pilot, lambda: any("Resuming" in t for t in _toasts(app)))
        board = app.query_one(WorkflowView)
        await until(pilot, lambda: board.outcome == "done")
        assert (await _workflow_run(killed)).status is RunStatus.DONE
        assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 2)


async def test_a_run_waiting_on_a_person_is_not_resumed_blindly(
    killed: Store, tmp_path: Path
) -> None:
    # As a task whose agent stopped at an approval leaves it: its run "waiting".
    workflow_run = await _workflow_run(killed)
    (task,) = [r for r in await killed.list_runs() if r.agent == "gated/work/second"]
    task.status = RunStatus.WAITING
    await killed.put_run(task)
    async with ide(killed, notifications=True) as (app, pilot):
        await _looked(app, pilot)
        (line,) = [t for t in _toasts(app) if "gated" in t]
        assert line == "Workflow gated waits for an answer: w shows it; W resumes the run after"
        assert not app.workflow_running
        assert _runs(tmp_path, "second") == 1
        assert (await killed.get_run(workflow_run.id)).status is RunStatus.INTERRUPTED


async def test_without_auto_resume_nothing_runs_until_w(killed: Store, tmp_path: Path) -> None:
    async with ide(killed, notifications=True, auto_resume=False) as (app, pilot):
        await _looked(app, pilot)
        assert not [t for t in _toasts(app) if "gated" in t]
        assert _runs(tmp_path, "second") == 1
        assert (await _workflow_run(killed)).status is RunStatus.INTERRUPTED


@asynccontextmanager
async def _second_ide(path: Path) -> AsyncIterator[tuple[RamifyApp, Pilot[Any]]]:
    """Another IDE on the same file, on its own connection (as a second `ramify` would)."""
    async with SQLiteStore(path) as store:

        async def opener(opened: Store) -> SessionController:
            return await SessionController.open(opened, None, echo, AGENTS)

        app = RamifyApp(store, opener, agent_names=tuple(AGENTS))
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await until(pilot, lambda: app.controller is not None)
            yield app, pilot


async def test_a_second_ide_on_the_session_does_not_run_it_twice(
    killed: Store, tmp_path: Path
) -> None:
    async with ide(killed, notifications=True) as (first, first_pilot):
        await until(first_pilot, lambda: _runs(tmp_path, "second") == 2)
        async with Ramify(), _second_ide(tmp_path / "wf.db") as (second, pilot):
            await _looked(second, pilot)
            (line,) = [t for t in _toasts(second) if "gated" in t]
            assert line == (
                f"Workflow gated is running in another process (pid {os.getpid()}); "
                "it is not resumed here"
            )
            assert not second.workflow_running
        assert _runs(tmp_path, "second") == 2
        first.query_one(WorkflowView).focus()
        await first_pilot.press("escape")
        await until(first_pilot, lambda: not first.workflow_running)
    session = await Session.open(killed, (await _workflow_run(killed)).session_id)
    assert (await session.get_run((await _workflow_run(killed)).id)).status is RunStatus.CANCELLED


@pytest.mark.parametrize(("argv", "resume"), [([], True), (["--no-resume"], False)])
def test_no_resume_on_the_command_line_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], resume: bool
) -> None:
    from ramify.tui import cli, launch

    seen: list[launch.LaunchOptions] = []

    def run(options: launch.LaunchOptions) -> int:  # the IDE itself is not started
        seen.append(options)
        return 0

    monkeypatch.setattr(launch, "run", run)
    assert cli.main(["--demo", *argv]) == 0
    assert [options.resume for options in seen] == [resume]
