"""Breakpoints on workflow tasks: a run stops before or after a task until a person answers.

A breakpoint is the session's own (`InterruptSettings`, the same file the tool loop reads),
set with ``add_breakpoint(point, pattern, kind="task")`` (``any`` stops tasks too). A glob
without a ``/`` is matched against the task's name, one with a ``/`` against its full name
``WORKFLOW/STATE/TASK``: ``summarize``, ``sum*`` and ``report/*/summarize`` all stop the
task ``summarize`` of the workflow ``report``.

A hit is an `InterruptMessage` node (``kind="breakpoint"``, ``target`` the full name):

- **before**: under the node the task's input is read from (its first upstream task's
  output, or the state's entry), ``pending`` the task's input as JSON;
- **after**: under the task's output node, ``pending`` the output as JSON.

The task stopped at does not start (before) or pass its output on (after); tasks already
running finish and are recorded, nothing else starts. The workflow's `Run` then ends
``waiting`` with the interrupt as its last output, and `run_workflow` raises
`WorkflowWaiting`. So the tree, `pending_interrupts`, ``ramify runs --waiting`` and the IDE's
``w`` all see it, from any process, after a restart too: nothing is held in memory.

`answer_task_breakpoint` appends the `InterruptAnswer` under the interrupt and continues
the run from the tree (`resume_workflow`'s way: finished tasks are taken over, not run
again). An edit is JSON validated against the task's input or output model first; a bad one
is refused with one line and nothing is written. An edited input is read by the engine from
the answer when the task starts; an edited output is recorded as a `TaskOutput` sibling of
the original (with a run of its own, ``fingerprint="edited at a breakpoint"``), which the
continued run takes over. `resume_workflow` refuses a run waiting at an unanswered breakpoint
and says how to answer it; once answered, it continues it.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from ..runs import Run, RunStatus
from ..tree import Node
from .errors import WorkflowError, where
from .executor import first_error, task_input

if TYPE_CHECKING:
    from ..session import Session
    from ..tools.interrupts import InterruptAnswer, InterruptMessage
    from ..tools.policy import InterruptSettings
    from .dsl import Task, Workflow
    from .engine import Progress, WorkflowResult, _Execution
    from .watch import WorkflowWatcher

__all__ = [
    "KEY_PREFIX",
    "TaskBreakpoints",
    "TaskHalted",
    "WorkflowWaiting",
    "answer_task_breakpoint",
    "waiting_interrupt",
]

Point = Literal["before", "after"]

KEY_PREFIX = "task "
"""How the key of a task's interrupt starts (``task before WF/STATE/TASK``): the IDE tells a
workflow's interrupt from an agent's by it (equal to `tools.interrupts.TASK_KEY_PREFIX`,
spelled out here so that importing the engine imports no tools)."""

EDITED = "edited at a breakpoint"
"""The fingerprint of the run that records a task's output edited at a breakpoint."""


class WorkflowWaiting(WorkflowError):
    """The run stopped at a task's breakpoint; `node` is the interrupt's hash. Answer it with
    `answer_task_breakpoint` (or ``w`` in the IDE)."""

    def __init__(self, message: str, *, node: Node) -> None:
        super().__init__(message)
        self.node = node


class TaskHalted(Exception):
    """Inside a run: this task (or one it reads) stopped at a breakpoint; it does not go on."""


def task_name(workflow: str, state: str, task: str) -> str:
    return f"{workflow}/{state}/{task}"


def _key(point: Point, target: str) -> str:
    return f"{KEY_PREFIX}{point} {target}"


def _json_object(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("the edit must be a JSON object")
    return value


class TaskBreakpoints:
    """The breakpoints one workflow run stops at, and the interrupts it already left."""

    def __init__(self, settings: InterruptSettings | None, run_id: str) -> None:
        self.settings = settings
        self.run_id = run_id

    @classmethod
    def load(cls, session: Session, run_id: str, *, continuing: bool) -> TaskBreakpoints | None:
        """The run's breakpoints; None (no check at all) when none can stop a task and the run
        starts afresh (a continued run reads the answers it left, whatever is set now)."""
        from ..tools.policy import interrupt_settings

        settings = interrupt_settings(session)
        if not any(item.kind in ("task", "any") for item in settings.breakpoints):
            if not continuing:
                return None
            return cls(None, run_id)
        return cls(settings, run_id)

    def stops(self, point: Point, task: Task, workflow: str) -> bool:
        if self.settings is None:
            return False
        full = task_name(workflow, task.state.name, task.name)
        return any(
            item.matches(point, full if "/" in item.pattern else task.name, "task")
            for item in self.settings.breakpoints
        )

    async def _left(
        self, session: Session, under: Node, key: str
    ) -> tuple[Node, InterruptAnswer | None] | None:
        """This run's interrupt `key` under `under`, and its answer if it has one."""
        from ..tools.interrupts import InterruptAnswer, InterruptMessage

        for child in await session.store.children(under.hash_key):
            if child.run_id != self.run_id:
                continue
            message = await session.message(child)
            if isinstance(message, InterruptMessage) and message.key == key:
                answers = await session.messages(await session.store.children(child.hash_key))
                found = [a for a in answers if isinstance(a, InterruptAnswer) and a.key == key]
                return child, (found[-1] if found else None)
        return None

    async def before(
        self, execution: _Execution, task: Task, parent: Node, merged: dict[str, Any]
    ) -> dict[str, Any]:
        """What `task` reads (the answer's edit, if any); raises `TaskHalted` when it stops."""
        workflow = execution.workflow.name
        key = _key("before", task_name(workflow, task.state.name, task.name))
        left = await self._left(execution.session, parent, key)
        if left is not None:
            node, answer = left
            if answer is None:
                execution.halt(task, node)
                raise TaskHalted
            return merged if answer.edited is None else {**merged, **_json_object(answer.edited)}
        if not self.stops("before", task, workflow):
            return merged
        try:
            value = task_input(task, merged)
        except WorkflowError:
            return merged  # its input does not fit: the task fails as it would without a stop
        pending = json.dumps(merged, default=str) if value is None else value.model_dump_json()
        await self._hit(execution, task, "before", parent, pending)
        raise TaskHalted

    async def after(self, execution: _Execution, task: Task, node: Node, output: BaseModel) -> None:
        """Raise `TaskHalted` (an interrupt left under `node`) when `task` stops after."""
        if self.stops("after", task, execution.workflow.name):
            await self._hit(execution, task, "after", node, output.model_dump_json())
            raise TaskHalted

    async def held(self, execution: _Execution, task: Task, node: Node) -> None:
        """Raise `TaskHalted` when the reused output `node` waits at an unanswered breakpoint
        (several tasks stopped at once: the run shows one, the others wait on in the tree)."""
        key = _key("after", task_name(execution.workflow.name, task.state.name, task.name))
        left = await self._left(execution.session, node, key)
        if left is not None and left[1] is None:
            execution.halt(task, left[0])
            raise TaskHalted

    async def _hit(
        self, execution: _Execution, task: Task, point: Point, under: Node, pending: str
    ) -> None:
        from ..tools.interrupts import InterruptMessage

        target = task_name(execution.workflow.name, task.state.name, task.name)
        message = InterruptMessage(
            text=f"Breakpoint {point} task {target}",
            kind="breakpoint",
            key=_key(point, target),
            point=point,
            target=target,
            pending=pending,
        )
        node = await execution.write(message, under, self.run_id)
        execution.halt(task, node)


async def waiting_interrupt(session: Session, run: Run) -> tuple[Node, InterruptMessage] | None:
    """The task breakpoint `run` waits at, unanswered, if it does."""
    from ..tools.interrupts import InterruptAnswer, InterruptMessage

    if run.status is not RunStatus.WAITING or not run.output_nodes:
        return None
    node = await session.resolve(run.output_nodes[-1])
    message = await session.message(node)
    if not isinstance(message, InterruptMessage) or not message.key.startswith(KEY_PREFIX):
        return None
    answers = await session.messages(await session.store.children(node.hash_key))
    if any(isinstance(answer, InterruptAnswer) for answer in answers):
        return None
    return node, message


def _task_of(workflow: Workflow, target: str) -> Task:
    _, state, task = target.rsplit("/", 2)
    try:
        return workflow.states[state].tasks[task]
    except KeyError:
        raise WorkflowError(
            f"{where(workflow.name)}: no task {state}/{task} any more; "
            "rerun the run's last task with rerun_task instead"
        ) from None


def _check_edit(task: Task, point: Point, edited: str) -> None:
    """Raise `ValueError` (one line, saying what to fix) when `edited` does not fit `task`."""
    model: type[BaseModel] | None = task.input_model if point == "before" else task.output_model
    try:
        value = _json_object(edited)
        if model is not None:
            model.model_validate(value)
    except ValidationError as error:
        name = "" if model is None else model.__name__
        raise ValueError(
            f"the edit does not fit {name}: {first_error(error)}; nothing was changed, "
            "edit it again"
        ) from None
    except ValueError as error:
        raise ValueError(f"the edit is not a JSON object ({error}); nothing was changed") from None


async def answer_task_breakpoint(
    session: Session,
    workflow: Workflow,
    node: Node | str,
    *,
    edited: str | None = None,
    progress: Progress | None = None,
    watcher: WorkflowWatcher | None = None,
) -> WorkflowResult:
    """Continue the workflow run waiting at the task breakpoint `node`, optionally with
    `edited` (JSON) in place of the task's input (before) or output (after).

    Raises `ValueError` (nothing written) for a node that is no unanswered task breakpoint or
    an edit that does not fit the task's model; then runs as `resume_workflow` does (and may
    raise `WorkflowWaiting` again at the next breakpoint).
    """
    from ..tools.interrupts import InterruptAnswer, InterruptMessage
    from .durable import continue_recorded, find_workflow_run

    stopped = await session.resolve(node)
    message = await session.message(stopped)
    if not isinstance(message, InterruptMessage) or not message.key.startswith(KEY_PREFIX):
        raise ValueError(
            f"node {stopped.hash_key[:12]} is not a task breakpoint; pick one from "
            "pending_interrupts"
        )
    run = await find_workflow_run(session, stopped)
    if await waiting_interrupt(session, run) is None or run.output_nodes[-1] != stopped.hash_key:
        raise ValueError(
            f"the breakpoint at {stopped.hash_key[:12]} is answered already; rerun the task "
            "(rerun_task) to try another value"
        )
    task = _task_of(workflow, message.target)
    if edited is not None:
        _check_edit(task, message.point, edited)
    summary = "continued" if edited is None else "continued (edited)"
    answer = InterruptAnswer(text=summary, key=message.key, decision="continue", edited=edited)
    nodes = [_child(stopped, answer, workflow.name, run.id)]
    messages: list[Any] = [answer]
    writer: Run | None = None
    if edited is not None and message.point == "after":
        output, output_node, writer = await _edited_output(session, task, run, stopped, edited)
        nodes.append(output_node)
        messages.append(output)
    await session.store.put_nodes(nodes, messages, session_id=session.id)
    if writer is not None:
        await session.save_run(writer)
    return await continue_recorded(session, workflow, run, progress=progress, watcher=watcher)


def _child(parent: Node | str | None, message: Any, sender: str, run_id: str) -> Node:
    return Node(
        message=message.hash_key,
        parent=parent.hash_key if isinstance(parent, Node) else parent,
        sender=sender,
        run_id=run_id,
        created_at=time.time(),
    )


async def _edited_output(
    session: Session, task: Task, run: Run, stopped: Node, edited: str
) -> tuple[Any, Node, Run]:
    """The edited output as a sibling of the original, and a done run that lists it (so the
    continued run takes it over in the original's place)."""
    from .records import TaskOutput

    assert stopped.parent is not None
    original = await session.resolve(stopped.parent)
    recorded = await session.message(original)
    assert isinstance(recorded, TaskOutput)
    edited_output = TaskOutput(
        text=task.output_model.model_validate(_json_object(edited)).model_dump_json(),
        workflow=recorded.workflow,
        state=recorded.state,
        task=recorded.task,
        joined=recorded.joined,
    )
    writer = Run(
        agent=task_name(recorded.workflow, recorded.state, recorded.task),
        session_id=session.id,
        parent_run_id=run.id,
        fingerprint=EDITED,
        input_node=original.parent,
        status=RunStatus.DONE,
    )
    node = _child(original.parent, edited_output, recorded.workflow, writer.id)
    writer.output_nodes = [node.hash_key]
    writer.ended_at = time.time()
    return edited_output, node, writer
