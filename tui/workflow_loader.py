"""Load a workflow by reference, and resume or rerun a recorded run with its own definition.

A run records where its workflow is defined (`WorkflowInput.source`: the file's absolute path
and the name); these load it again the way agents load (`agent_loader`), for
`ramify workflow resume` and the IDE's workflow actions alike. Every failure is an
`AgentSpecError` or a `WorkflowError` with a one-line message.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ramify.tui.agent_loader import AgentSpecError, load_named_object

if TYPE_CHECKING:
    from ramify.core import Session
    from ramify.core.workflow import Workflow, WorkflowResult

__all__ = [
    "load_workflow_spec",
    "recorded_workflow",
    "rerun_task_at",
    "workflow_source",
]


def load_workflow_spec(spec: str) -> tuple[Workflow, str]:
    """The `Workflow` named by ``path/to/file.py:NAME`` (or ``module:NAME``) and the source
    to record for it (a file by its absolute path). Raises `AgentSpecError`."""
    from ramify.core.workflow import Workflow

    target, name, where = load_named_object(spec, "workflow", _available)
    if not isinstance(target, Workflow):
        raise AgentSpecError(
            f"{name!r} in {where} is a {type(target).__name__}, not a Workflow; "
            "name an object made with Workflow(...) (a function that builds one: call it at "
            "module level, wf = build())"
        )
    return target, workflow_source(spec)


def workflow_source(spec: str) -> str:
    """What a run records of where ``path/to/file.py:NAME`` (or ``module:NAME``) is defined:
    a file by its absolute path, so the run can be resumed from any folder."""
    source, _, name = spec.strip().rpartition(":")
    if source.endswith(".py"):
        source = str(Path(source).expanduser().resolve())
    return f"{source}:{name}"


def _available(module: ModuleType) -> str:
    from ramify.core.workflow import Workflow

    names = sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and isinstance(value, Workflow)
    )
    return "workflows in it: " + ", ".join(names) if names else "it defines no Workflow"


async def recorded_workflow(session: Session, node: str) -> Workflow:
    """The definition of the workflow run that wrote `node` (or is named by it), loaded from
    the source its input node records."""
    from ramify.core.workflow import WorkflowInput, WorkflowResumeError, find_workflow_run

    run = await find_workflow_run(session, node)
    assert run.input_node is not None
    message = await session.message(run.input_node)
    if not isinstance(message, WorkflowInput) or not message.source:
        raise WorkflowResumeError(
            f"run {run.id[:12]} recorded no workflow file (it was started from code); "
            "resume it there with resume_workflow(session, workflow, run_id)"
        )
    workflow, _ = load_workflow_spec(message.source)
    return workflow


async def rerun_task_at(session: Session, node: str, branch: str) -> WorkflowResult:
    """Rerun the task that wrote `node`, and its downstream, on new branch `branch`."""
    from ramify.core.workflow import rerun_task

    return await rerun_task(session, await recorded_workflow(session, node), node, branch=branch)
