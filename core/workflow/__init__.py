"""Workflows: DAGs of typed tasks inside the states of a state machine (see `dsl`).

Nothing in here imports on behalf of the user's code: a program builds `Workflow` objects and
runs them with `run_workflow`, which records every task execution as a `Run` and every output
as a node of a `Session`.
"""

from __future__ import annotations

from .depends import DependencyScope, Depends
from .dsl import Condition, RetryPolicy, State, Task, Workflow, WorkflowRegistry
from .engine import DEFAULT_STEP_LIMIT, WorkflowResult, run_workflow
from .errors import (
    StepLimitExceeded,
    TaskInputMismatch,
    TaskOutputMismatch,
    WorkflowDefinitionError,
    WorkflowError,
    WorkflowTaskFailed,
)
from .records import StateOutput, TaskError, TaskOutput, WorkflowInput
from .watch import TaskEvent, TaskStatus, TaskTokens, TokenSink, WorkflowWatcher, token_sink

__all__ = [
    "DEFAULT_STEP_LIMIT",
    "Condition",
    "DependencyScope",
    "Depends",
    "RetryPolicy",
    "State",
    "StateOutput",
    "StepLimitExceeded",
    "Task",
    "TaskError",
    "TaskEvent",
    "TaskInputMismatch",
    "TaskOutput",
    "TaskOutputMismatch",
    "TaskStatus",
    "TaskTokens",
    "TokenSink",
    "Workflow",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowInput",
    "WorkflowRegistry",
    "WorkflowResult",
    "WorkflowTaskFailed",
    "WorkflowWatcher",
    "run_workflow",
    "token_sink",
]
