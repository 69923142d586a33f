"""Errors of workflows: each names the workflow, and the state and task where it happened."""

from __future__ import annotations

from typing import Any

__all__ = [
    "NetworkAnswerMissing",
    "StepLimitExceeded",
    "TaskInputMismatch",
    "TaskOutputMismatch",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowResumeError",
    "WorkflowTaskFailed",
    "where",
]


def where(workflow: str, state: str | None = None, task: str | None = None) -> str:
    """``workflow 'w', state 's', task 't'``: the place an error message starts with."""
    parts = [f"workflow {workflow!r}"]
    if state is not None:
        parts.append(f"state {state!r}")
    if task is not None:
        parts.append(f"task {task!r}")
    return ", ".join(parts)


class WorkflowError(Exception):
    """Anything wrong with a workflow, found while defining or running it.

    `result` is the `WorkflowResult` of the run it stopped (None at definition time): what
    finished before the error is there, and in the session.
    """

    result: Any = None


class WorkflowDefinitionError(WorkflowError):
    """A workflow defined wrongly (a cycle, an unknown task, a non-pydantic annotation...)."""


class TaskInputMismatch(WorkflowError):
    """What reached a task (the state's input and its upstream outputs) does not fit its model."""


class TaskOutputMismatch(WorkflowError):
    """A task returned something that is not its declared output model."""


class WorkflowTaskFailed(WorkflowError):
    """A task (or condition) failed after its retries; the workflow stopped."""

    def __init__(self, message: str, *, state: str, task: str) -> None:
        super().__init__(message)
        self.state = state
        self.task = task


class NetworkAnswerMissing(WorkflowError):
    """A network in a state ended without a message to make the task's output from."""


class StepLimitExceeded(WorkflowError):
    """The machine ran more states than its step limit without reaching a final state."""


class WorkflowResumeError(WorkflowError):
    """A run that cannot be resumed or rerun: unknown, still running, or another workflow's."""
