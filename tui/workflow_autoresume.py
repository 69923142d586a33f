"""What reopening a session does about a workflow run its process left unfinished.

`interrupted_workflow(session)` looks at the session's top-level runs (opening the session
marked those of dead processes "interrupted") and answers with one of:

- None: no workflow run to continue;
- a `Resumable`: the latest interrupted run, its definition loaded again from the file it
  recorded, with how many of its tasks finished (they are taken over, not run again);
- a one-line notice instead, when continuing it blindly would be wrong: its definition
  cannot be loaded (the file is gone or changed), it waits on a person (an approval or a
  breakpoint under it), or it runs in another live process.

A run the user cancelled (Esc, or quitting the IDE) is "cancelled", and one that failed is
"error": neither is continued on its own (`W` resumes them: `workflow_run_at`). Opening the
same session in two IDEs: the first to resume writes its own process into the run
("running"), so the second, opening later, reads a live run and leaves it; two opening in
the very same instant can both continue it (the store has no claim to take).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ramify.tui.sanitize import one_line, snippet

if TYPE_CHECKING:
    from ramify.core import Session
    from ramify.core.runs import Run
    from ramify.core.workflow import Workflow, WorkflowInput

__all__ = ["Resumable", "interrupted_workflow", "resuming_notice", "workflow_run_at"]


@dataclass(frozen=True, slots=True)
class Resumable:
    """An interrupted workflow run to continue, with its definition and progress."""

    run: Run
    workflow: Workflow
    done: int
    left: int
    others: int = 0
    """More interrupted workflow runs in the session, left for `W`."""


def resuming_notice(found: Resumable) -> str:
    """The one line shown as the run goes on."""
    tasks = "task" if found.done == 1 else "tasks"
    more = f"; {found.others} more interrupted (W resumes one)" if found.others else ""
    return (
        f"Resuming workflow {snippet(found.workflow.name, 40)} ({found.done} {tasks} done, "
        f"{found.left} left) — Esc cancels{more}"
    )


async def interrupted_workflow(session: Session) -> Resumable | str | None:
    """The interrupted workflow run of `session` to continue, a notice why not, or None."""
    from ramify.core.runs import RunStatus
    from ramify.core.workflow import WorkflowInput

    candidates: list[tuple[Run, WorkflowInput]] = []
    every = await session.runs()
    for run in every:
        if run.parent_run_id is not None or run.input_node is None:
            continue
        if run.status not in (RunStatus.INTERRUPTED, RunStatus.WAITING, RunStatus.RUNNING):
            continue
        try:
            message = await session.message(run.input_node)
        except LookupError:
            continue
        if isinstance(message, WorkflowInput) and message.workflow == run.agent:
            candidates.append((run, message))
    if not candidates:
        return None
    candidates.sort(key=lambda found: found[0].started_at)
    name = snippet(candidates[-1][1].workflow, 40)
    live = [run for run, _ in candidates if run.status is RunStatus.RUNNING]
    if live:
        # Opening the session marked every run of a dead process; this one's process lives
        # (another IDE resuming it, or `ramify run` still going).
        return (
            f"Workflow {name} is running in another process (pid {live[-1].pid}); "
            "it is not resumed here"
        )
    run, message = candidates[-1]
    others = sum(1 for other, _ in candidates[:-1] if other.status is RunStatus.INTERRUPTED)
    if run.status is RunStatus.WAITING:
        # Stopped at a task's breakpoint: answering it continues the run from the tree.
        return f"Workflow {name} waits at a breakpoint: w answers it and the run goes on"
    if _waits_on_a_person(every, run):
        return f"Workflow {name} waits for an answer: w shows it; W resumes the run after"
    return await _prepared(session, run, message, others, "was interrupted and ")


async def workflow_run_at(session: Session, key: str) -> Resumable | str:
    """The workflow run that wrote node `key` (or is named by it) ready to resume, as `W`
    asks: a notice instead when it cannot be (not a workflow run, running in a live process,
    its definition cannot be loaded)."""
    from ramify.core.recording import mark_interrupted_runs
    from ramify.core.runs import RunStatus
    from ramify.core.workflow import WorkflowInput, WorkflowResumeError, find_workflow_run

    await mark_interrupted_runs(session)  # its process may have died since the session opened
    try:
        run = await find_workflow_run(session, key)
    except WorkflowResumeError as error:
        return f"{one_line(error)}; select a node a workflow run wrote"
    assert run.input_node is not None
    message = await session.message(run.input_node)
    assert isinstance(message, WorkflowInput)
    if run.status is RunStatus.RUNNING:
        return (
            f"Workflow {snippet(message.workflow, 40)} is running (process {run.pid}); "
            "Esc cancels it here, or resume it once that process has ended"
        )
    return await _prepared(session, run, message, 0, "")


async def _prepared(
    session: Session, run: Run, message: WorkflowInput, others: int, how: str
) -> Resumable | str:
    """`run` with its definition loaded from the file it recorded, or why it cannot be
    (`how` words the run's state in that line)."""
    name = snippet(message.workflow, 40)
    if not message.source:
        return (
            f"Workflow {name} {how}cannot be resumed here: it was started from code (no file "
            "recorded); resume it there with resume_workflow(session, workflow, run_id)"
        )
    try:
        workflow = await asyncio.to_thread(_load, message.source)
    except Exception as error:  # the user's file: whatever it raises is one line
        return (
            f"Workflow {name} {how}cannot be resumed: {one_line(error)}; "
            "fix its file, then W on its run resumes it"
        )
    if workflow.name != message.workflow:
        return (
            f"Workflow {name} {how}cannot be resumed: "
            f"{snippet(message.source, 80)} now defines workflow {snippet(workflow.name, 40)}; "
            "fix its file, then W on its run resumes it"
        )
    done, left = await _progress(session, run, workflow)
    return Resumable(run, workflow, done, left, others)


def _load(source: str) -> Workflow:
    from ramify.tui.workflow_loader import load_workflow_spec

    workflow, _ = load_workflow_spec(source)
    return workflow


def _waits_on_a_person(every: list[Run], run: Run) -> bool:
    """Whether a run under `run` (a task, an agent it called) stopped at an interrupt, read
    from `every` run of the session (already loaded: no query per descendant)."""
    from ramify.core.runs import RunStatus

    children: dict[str, list[Run]] = {}
    for each in every:
        if each.parent_run_id is not None:
            children.setdefault(each.parent_run_id, []).append(each)
    todo = [run.id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child.status is RunStatus.WAITING:
                return True
            todo.append(child.id)
    return False


async def _progress(session: Session, run: Run, workflow: Workflow) -> tuple[int, int]:
    """How many of the workflow's tasks `run` finished, and how many of them it has not."""
    from ramify.core.runs import RunStatus

    tasks = {
        f"{workflow.name}/{state.name}/{task}"
        for state in workflow.states.values()
        for task in state.tasks
    }
    finished = {
        child.agent
        for child in await session.runs(parent_run_id=run.id)
        if child.status is RunStatus.DONE and child.agent in tasks
    }
    return len(finished), len(tasks) - len(finished)
