"""Where a task's function runs: in this process, or wherever a `TaskPlacement` sends it.

The engine validates a task's input, then either calls the function here (`call_local`) or
hands the validated input to the placement given to ``run_workflow(..., tasks_on=...)`` for
the tasks it `executes` (``ramify.core.remote.remote_tasks`` runs them on NATS workers).
Either way the engine checks the output's type and records it, so the caller's session stays
the truth. A worker serving a workflow calls the same `task_input` and `call_local`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from .errors import TaskInputMismatch, TaskOutputMismatch

if TYPE_CHECKING:
    from ..runs import Run
    from .depends import DependencyScope
    from .dsl import Task

__all__ = ["TaskPlacement", "call_local", "check_output", "first_error", "task_input"]


class TaskPlacement(Protocol):
    """Runs some tasks somewhere else; the engine runs the others in process."""

    def executes(self, task: Task) -> bool:
        """Whether this placement runs `task`."""
        ...

    async def execute(self, task: Task, value: BaseModel | None, run: Run) -> Any:
        """Run `task` on its validated input `value` as the attempt `run`; return its output."""
        ...


def task_input(task: Task, merged: Mapping[str, Any]) -> BaseModel | None:
    """`merged` validated into the task's input model (None for a task without input)."""
    if task.input_model is None:
        return None
    try:
        return task.input_model.model_validate(dict(merged))
    except ValidationError as error:
        raise TaskInputMismatch(
            f"{task.place}: its input does not fit {task.input_model.__name__}: "
            f"{first_error(error)}"
        ) from None


async def call_local(task: Task, value: BaseModel | None, scope: DependencyScope) -> Any:
    """Call the task's function here, its dependencies resolved in `scope`."""
    kwargs = await scope.resolve_all(task.dependencies) if task.dependencies else {}
    if task.input_name is not None:
        kwargs[task.input_name] = value
    if task.is_async:
        return await task.function(**kwargs)
    return await asyncio.to_thread(functools.partial(task.function, **kwargs))


def check_output(task: Task, output: Any) -> BaseModel:
    """`output` if it is the task's declared model, else `TaskOutputMismatch`."""
    if not isinstance(output, task.output_model):
        raise TaskOutputMismatch(
            f"{task.place}: returned {type(output).__name__}, expected {task.output_model.__name__}"
        )
    return output


def first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "input"
    return f"{location}: {first['msg']}"
