"""Workflows: DAGs of typed tasks inside the states of a state machine (see `dsl`).

Nothing in here imports on behalf of the user's code: a program builds `Workflow` objects and
runs them with `run_workflow`, which records every task execution as a `Run` and every output
as a node of a `Session`. `resume_workflow` continues a run from those records after its
process died; `rerun_task` reruns one task and what follows it on a new branch. A state's
task may hold a whole sub-workflow or agent network (`State.subworkflow`, `State.network`;
see `nested`), so machines nest. A breakpoint before or after a task (kind ``task``) stops a
run waiting in the tree until `answer_task_breakpoint` continues it (see `breakpoints`).
"""

from __future__ import annotations

from .breakpoints import WorkflowWaiting, answer_task_breakpoint
from .builtins import Memory, MemoryEntry, current_session, current_store, memory, model_agent
from .depends import DependencyScope, Depends
from .dsl import Condition, RetryPolicy, State, Task, Workflow, WorkflowRegistry
from .durable import WorkflowRunInfo, find_workflow_run, rerun_task, resume_workflow, workflow_runs
from .engine import (
    DEFAULT_STEP_LIMIT,
    Durability,
    Progress,
    WorkflowProgress,
    WorkflowResult,
    check_input,
    run_workflow,
)
from .errors import (
    NetworkAnswerMissing,
    StepLimitExceeded,
    TaskInputMismatch,
    TaskOutputMismatch,
    WorkflowDefinitionError,
    WorkflowError,
    WorkflowResumeError,
    WorkflowTaskFailed,
)
from .executor import TaskPlacement
from .records import StateOutput, TaskError, TaskOutput, WorkflowInput
from .watch import TaskEvent, TaskStatus, TaskTokens, TokenSink, WorkflowWatcher, token_sink

__all__ = [
    "DEFAULT_STEP_LIMIT",
    "Condition",
    "DependencyScope",
    "Depends",
    "Durability",
    "Memory",
    "MemoryEntry",
    "NetworkAnswerMissing",
    "Progress",
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
    "TaskPlacement",
    "TaskStatus",
    "TaskTokens",
    "TokenSink",
    "Workflow",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowInput",
    "WorkflowProgress",
    "WorkflowRegistry",
    "WorkflowResult",
    "WorkflowResumeError",
    "WorkflowRunInfo",
    "WorkflowTaskFailed",
    "WorkflowWaiting",
    "WorkflowWatcher",
    "answer_task_breakpoint",
    "check_input",
    "current_session",
    "current_store",
    "find_workflow_run",
    "memory",
    "model_agent",
    "rerun_task",
    "resume_workflow",
    "run_workflow",
    "token_sink",
    "workflow_runs",
]
