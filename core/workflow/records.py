"""The messages a workflow run leaves in the session tree.

Layout on the run's branch: a `WorkflowInput` node, then per state execution one
`TaskOutput` node per task and a `StateOutput` node that joins them. A node has one parent,
so a join (a task with several inputs, or a state's result) hangs under its first input and
lists the other inputs' node hashes in `joined`: those are part of its message, the message
hash is part of the node hash, so one hash names the whole state of the workflow up to there,
like a merge commit. A task that failed for good leaves a `TaskError` where its output would
have been.
"""

from __future__ import annotations

from ..messages import ErrorMessage, Message

__all__ = ["StateOutput", "TaskError", "TaskOutput", "WorkflowInput"]


class WorkflowInput(Message):
    """A run's input (its JSON as the text) and where the workflow is defined.

    `source` (``path/to/file.py:NAME`` or ``module:NAME``, empty when run from code that
    did not say) is how `ramify workflow resume` finds the definition again.
    """

    role: str | None = "user"
    workflow: str
    source: str = ""


class TaskOutput(Message):
    """One task execution's output (its JSON as the text)."""

    role: str | None = "assistant"
    workflow: str
    state: str
    task: str
    joined: tuple[str, ...] = ()


class StateOutput(Message):
    """A state's result: its input merged with every task's output (JSON as the text)."""

    role: str | None = "assistant"
    workflow: str
    state: str
    joined: tuple[str, ...] = ()


class TaskError(ErrorMessage):
    """A task or condition that failed for good, at the place its output would have been."""

    workflow: str
    state: str
    task: str
