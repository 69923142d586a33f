"""Running a `Workflow`: push-based, every task execution a `Run`, every output a node.

Within a state every task is started at once and waits only on its own inputs (futures its
upstream tasks resolve), so a task runs the moment what it needs is there: no phase barrier,
no polling. Sync tasks run in a worker thread so they do not stall the others.

Failure: a task is tried as its `RetryPolicy` says (each attempt its own `Run`), then its
`TaskError` node is written where its output would have been, its siblings are cancelled and
the workflow fails with `WorkflowTaskFailed`. Cancel: the whole workflow stops, finished
outputs stay in the tree, unfinished task runs are marked cancelled. The branch head is moved
to the last node written, so the branch shows how far the run got.

Reuse (what `durable` builds on): an execution may be given node hashes it can take over. A
task whose output is among them, under the same parent with the same joins, is not run
again: its recorded output is read back. So continuing a run replays the state machine from
its input node and runs only what has no recorded output yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ..errors import RefConflict
from ..messages import Message
from ..recording import this_process
from ..runs import Run, RunStatus, fresh_run
from ..session import Session
from ..store.node_rows import node_hash
from ..tree import Node
from .breakpoints import TaskBreakpoints, TaskHalted, WorkflowWaiting
from .depends import DependencyScope
from .dsl import State, Task, Workflow
from .errors import (
    StepLimitExceeded,
    TaskInputMismatch,
    WorkflowError,
    WorkflowTaskFailed,
    where,
)
from .executor import TaskPlacement, call_local, check_output, first_error, task_input
from .recorder import Recorder
from .records import StateOutput, TaskError, TaskOutput, WorkflowInput
from .watch import TaskEvent, TaskStatus, TaskTokens, WorkflowWatcher, bind_tokens, reset_tokens

__all__ = [
    "DEFAULT_STEP_LIMIT",
    "Durability",
    "Progress",
    "WorkflowProgress",
    "WorkflowResult",
    "call_condition",
    "check_input",
    "continue_workflow",
    "run_workflow",
]

DEFAULT_STEP_LIMIT = 100
"""States a run may execute before it is stopped as never reaching a final state."""


@dataclass
class WorkflowResult:
    """What a run did. Also attached (as far as it got) to the `WorkflowError` that stopped it.

    `outputs` and `nodes` hold each task's latest execution, keyed ``(state, task)``; `result`
    is the last finished state's result; `states` the states run, in order.
    """

    workflow: str
    session: Session
    branch: str
    run: Run
    states: list[str] = field(default_factory=list)
    outputs: dict[tuple[str, str], BaseModel] = field(default_factory=dict)
    nodes: dict[tuple[str, str], Node] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    head: Node | None = None


@dataclass(frozen=True, slots=True)
class WorkflowProgress:
    """One step of a run, for a progress display: task `task` of `state` has `status`
    ``started``, ``done``, ``reused`` (its recorded output taken over) or ``failed``."""

    run_id: str
    state: str
    task: str
    status: str


Progress = Callable[[WorkflowProgress], None]
"""Called in the event loop's thread at each step; it must not block."""

Durability = Literal["sync", "async"]
"""When a run's records are stored. ``"sync"``: a task starts once its run record and its
inputs are stored (a run killed at any moment is found with its running task recorded, and
a task reported done before the next starts has its output stored); one write per task of a
chain. ``"async"`` (LangGraph's default mode): records are written while the tasks go on, in
batches; a kill can lose the records of the last moments (resuming runs those tasks again),
and everything is stored when the run ends."""


async def call_condition(
    function: Callable[..., Any],
    input_model: type[BaseModel] | None,
    result: Mapping[str, Any],
    scope: DependencyScope,
) -> bool:
    """Call a condition on a state's result (validated into its model), with its dependencies."""
    kwargs = await scope.arguments(function)
    args = [] if input_model is None else [input_model.model_validate(dict(result))]
    value = function(*args, **kwargs)
    if inspect.isawaitable(value):
        value = await value
    return bool(value)


_TASK_OUTPUT_ROLE = TaskOutput.model_fields["role"].default


class _Execution:
    """One run of a workflow: its session, branch, dependency scope and records so far."""

    def __init__(
        self,
        workflow: Workflow,
        session: Session,
        result: WorkflowResult,
        tasks_on: TaskPlacement | None = None,
        *,
        reusable: frozenset[str] = frozenset(),
        progress: Progress | None = None,
        watcher: WorkflowWatcher | None = None,
        durability: Durability = "sync",
    ) -> None:
        self.workflow = workflow
        self.tasks_on = tasks_on
        self.session = session
        self.result = result
        self.watcher = watcher
        # The run of each task's latest attempt, so a cancel event can name it.
        self.attempt_runs: dict[tuple[str, str], str] = {}
        self.scope = DependencyScope(session)
        self.pid, self.host = this_process()
        self.reusable = reusable
        self.progress = progress
        self.recorder = Recorder(session)
        self.durability = durability
        self.breakpoints = TaskBreakpoints.load(session, result.run.id, continuing=bool(reusable))
        self.waiting_at: Node | None = None
        """The breakpoint the run stopped at (see `breakpoints`): no task starts once set."""
        self._run_template: Run | None = None

    def halt(self, task: Task, node: Node) -> None:
        """`task` stopped at the interrupt `node`; the run ends waiting once the others end."""
        if self.waiting_at is None:
            self.waiting_at = node
        self.tell(task, TaskStatus.WAITING, node=node.hash_key)

    def report(self, task: Task, status: str) -> None:
        if self.progress is not None:
            self.progress(WorkflowProgress(self.result.run.id, task.state.name, task.name, status))

    async def recorded(
        self, parent: Node, accept: Callable[[Message], bool]
    ) -> tuple[Node, Message] | None:
        """The latest reusable child of `parent` whose message `accept`s, if any."""
        if not self.reusable:
            return None
        # Any session's children: a node its branch no longer reaches has left the session,
        # yet the run's records still name it (taking it over brings it back).
        children = await self.session.store.children(parent.hash_key)
        for child in reversed(children):
            if child.hash_key in self.reusable:
                message = await self.session.message(child)
                if accept(message):
                    return child, message
        return None

    async def take_over(self, node: Node) -> None:
        """Make a reused node the run's latest and a member of the session again."""
        await self.session.store.put_nodes((node,), session_id=self.session.id)
        self.result.head = node

    def tell(self, task: Task, status: TaskStatus, **details: Any) -> None:
        """Tell the watcher, if any, that `task` is now `status`."""
        if self.watcher is None:
            return
        event = TaskEvent(self.workflow.name, task.state.name, task.name, status, **details)
        # A watcher is a view: its bug must not stop the run.
        with contextlib.suppress(Exception):
            self.watcher(event)

    async def write(self, message: Any, parent: Node | None, run_id: str) -> Node:
        sender = self.workflow.name
        fields = {
            "message": message.hash_key,
            "parent": None if parent is None else parent.hash_key,
            "sender": sender,
            "forwarded_from": None,
            "run_id": run_id,
            "created_at": time.time(),
        }
        # Not validated: both hashes are ours. An ASCII name (no lone surrogate) is hashed
        # as the store re-hashes node rows (`node_hash`, pinned equal to `Node.hash_key`).
        if sender.isascii():
            key = node_hash((fields["message"], fields["parent"], sender, None))
            node = Node.from_stored_fields(fields, key)
        else:
            node = Node.from_own_fields(fields)
        self.recorder.node(node, message)
        self.result.head = node
        return node

    async def move_branch(self, *, create_only: bool = False) -> None:
        """Point the branch at the last node written (left alone if someone else moved it).

        A branch is not moved back to a reused node it already passed: a resumed run replays
        from its input, and its branch already shows how far it got.
        """
        await self.recorder.drain()
        head = self.result.head
        if head is None:
            return
        store = self.session.store
        ref = await store.get_ref(self.session.id, self.result.branch)
        if ref is not None and (create_only or ref.head == head.hash_key):
            return
        if (
            ref is not None
            and head.hash_key in self.reusable
            and any(node.hash_key == head.hash_key for node in await store.path(ref.head))
        ):
            return
        with contextlib.suppress(RefConflict):
            await store.move_ref(
                self.session.id,
                self.result.branch,
                head.hash_key,
                expected=None if ref is None else ref.head,
                reason=f"workflow run {self.result.run.id}",
            )

    def new_run(self, agent: str, input_node: Node | None) -> Run:
        if self._run_template is None:
            # No id or clock read of its own: a script fixing both sees the ids and times
            # `Run(...)` would have drawn.
            self._run_template = Run(
                id="",
                started_at=0.0,
                agent=agent,
                session_id=self.session.id,
                parent_run_id=self.result.run.id,
                pid=self.pid,
                host=self.host,
            )
        # Copied from the template, not validated: a run per task, each like the last.
        return fresh_run(
            self._run_template,
            agent=agent,
            input_node=None if input_node is None else input_node.hash_key,
        )

    async def finish_run(
        self,
        run: Run,
        status: RunStatus,
        error: str | None = None,
        *,
        handed_over: bool = False,
    ) -> None:
        """Record `run` as ended; `handed_over`: nothing changes that object again (see
        `Recorder.run`)."""
        run.status = status
        run.error = error
        run.ended_at = time.time()
        self.recorder.run(run, handed_over=handed_over)

    async def run_state(
        self, state: State, state_input: dict[str, Any], entry: Node
    ) -> tuple[dict[str, Any], Node]:
        loop = asyncio.get_running_loop()
        ready: dict[str, asyncio.Future[tuple[BaseModel, Node]]] = {
            name: loop.create_future() for name in state.tasks
        }
        for task in state.tasks.values():
            self.tell(task, TaskStatus.PENDING)
        try:
            async with asyncio.TaskGroup() as group:
                for task in state.tasks.values():
                    group.create_task(self.run_task(task, state_input, entry, ready))
        except BaseExceptionGroup as group_error:
            # Report the task that failed, not the siblings cancelled because of it.
            failures = [e for e in group_error.exceptions if isinstance(e, WorkflowError)]
            raise (failures[0] if failures else group_error.exceptions[0]) from None
        if self.waiting_at is not None:
            raise WorkflowWaiting(
                f"{where(self.workflow.name, state.name)}: waiting at a breakpoint "
                f"(node {self.waiting_at.hash_key[:12]}); answer it to go on",
                node=self.waiting_at,
            )
        merged = dict(state_input)
        outputs = [ready[name].result() for name in state.tasks]
        for output, _ in outputs:
            merged.update(output.model_dump(mode="json"))
        # The state's node joins its sinks (the tasks nothing in the state reads): every other
        # task is upstream of one, so its hash covers them all. It hangs under the last sink
        # defined, so the branch path runs through that sink's whole chain.
        feeding = {id(source) for task in state.tasks.values() for source in task.upstream}
        sinks = [ready[t.name].result()[1] for t in state.tasks.values() if id(t) not in feeding]
        joined = tuple(node.hash_key for node in sinks[:-1])
        found = await self.recorded(
            sinks[-1],
            lambda m: (
                isinstance(m, StateOutput)
                and (m.workflow, m.state, m.joined) == (self.workflow.name, state.name, joined)
            ),
        )
        if found is not None:
            await self.take_over(found[0])
            return merged, found[0]
        run = self.new_run(f"{self.workflow.name}/{state.name}", sinks[-1])
        message = StateOutput(
            text=json.dumps(merged, ensure_ascii=False, default=str),
            workflow=self.workflow.name,
            state=state.name,
            joined=joined,
        )
        node = await self.write(message, sinks[-1], run.id)
        run.output_nodes = [node.hash_key]
        await self.finish_run(run, RunStatus.DONE, handed_over=True)
        return merged, node

    async def run_task(
        self,
        task: Task,
        state_input: dict[str, Any],
        entry: Node,
        ready: dict[str, asyncio.Future[tuple[BaseModel, Node]]],
    ) -> None:
        try:
            await self.attempt_task(task, state_input, entry, ready)
        except TaskHalted:
            # What reads this task's output does not start either; the exception is read here
            # so a future nobody awaits does not warn.
            ready[task.name].set_exception(TaskHalted())
            ready[task.name].exception()
        except asyncio.CancelledError:
            key = (task.state.name, task.name)
            self.tell(task, TaskStatus.CANCELLED, run_id=self.attempt_runs.get(key))
            raise

    async def attempt_task(
        self,
        task: Task,
        state_input: dict[str, Any],
        entry: Node,
        ready: dict[str, asyncio.Future[tuple[BaseModel, Node]]],
    ) -> None:
        if task.upstream:
            self.tell(task, TaskStatus.WAITING)
        upstream = [await ready[source.name] for source in task.upstream]
        merged = dict(state_input)
        for output, _ in upstream:
            merged.update(output.model_dump(mode="json"))
        parent = upstream[0][1] if upstream else entry
        joined = tuple(node.hash_key for _, node in upstream[1:])
        if await self.reuse(task, parent, joined, ready):
            return
        if self.waiting_at is not None:
            raise TaskHalted  # a run stopped at a breakpoint starts nothing more
        if self.breakpoints is not None:
            merged = await self.breakpoints.before(self, task, parent, merged)
        policy = task.retry or self.workflow.retry
        agent = f"{self.workflow.name}/{task.state.name}/{task.name}"
        last_run: Run | None = None
        last_error: BaseException | None = None
        for attempt in range(policy.attempts):
            if attempt and policy.delay:
                await asyncio.sleep(policy.delay)
            run = last_run = self.new_run(agent, parent)
            self.recorder.run(run)
            if self.durability == "sync":
                # Stored before the task runs (in one batch with whatever else is queued, such
                # as its inputs): a run killed now is found running, with its inputs recorded.
                await self.recorder.drain()
            else:
                self.recorder.check()  # no task starts once a write has failed
            self.report(task, "started")
            self.attempt_runs[(task.state.name, task.name)] = run.id
            self.tell(task, TaskStatus.RUNNING, run_id=run.id, attempt=attempt + 1)
            streaming = bind_tokens(
                self.watcher,
                functools.partial(
                    TaskTokens, self.workflow.name, task.state.name, task.name, run.id
                ),
                asyncio.get_running_loop(),
            )
            try:
                output = await self.call_task(task, merged, run)
            except asyncio.CancelledError:
                await asyncio.shield(self.finish_run(run, RunStatus.CANCELLED))
                raise
            except Exception as error:
                last_error = error
                await self.finish_run(run, RunStatus.ERROR, f"{type(error).__name__}: {error}")
                continue
            finally:
                reset_tokens(streaming)
            message = TaskOutput.from_own_fields(
                {
                    "text": output.model_dump_json(),
                    "role": _TASK_OUTPUT_ROLE,
                    "workflow": self.workflow.name,
                    "state": task.state.name,
                    "task": task.name,
                    "joined": joined,
                }
            )
            node = await self.write(message, parent, run.id)
            run.output_nodes = [node.hash_key]
            # A run no nested machine or placement was given ends here: nothing holds it.
            owned = task.nested is None and self.tasks_on is None
            await self.finish_run(run, RunStatus.DONE, handed_over=owned)
            if self.progress is not None:
                self.recorder.after(lambda: self.report(task, "done"))
            self.result.outputs[(task.state.name, task.name)] = output
            self.result.nodes[(task.state.name, task.name)] = node
            # Told now, not once stored: the board shows the next task start after this one
            # ends. The node lands with the batch a few milliseconds later (`Recorder`).
            self.tell(task, TaskStatus.DONE, run_id=run.id, attempt=attempt + 1, node=node.hash_key)
            if self.breakpoints is not None:
                await self.breakpoints.after(self, task, node, output)
            ready[task.name].set_result((output, node))
            return
        assert last_run is not None
        assert last_error is not None
        error_node = await self.write(
            TaskError.from_exception(
                last_error,
                workflow=self.workflow.name,
                state=task.state.name,
                task=task.name,
            ),
            parent,
            last_run.id,
        )
        last_run.output_nodes = [error_node.hash_key]
        self.recorder.run(last_run)
        self.result.nodes[(task.state.name, task.name)] = error_node
        self.report(task, "failed")
        self.tell(
            task,
            TaskStatus.FAILED,
            run_id=last_run.id,
            attempt=policy.attempts,
            node=error_node.hash_key,
            error=f"{type(last_error).__name__}: {last_error}",
        )
        tries = f" after {policy.attempts} attempts" if policy.attempts > 1 else ""
        raise WorkflowTaskFailed(
            f"{task.place}: failed{tries}: {type(last_error).__name__}: {last_error}",
            state=task.state.name,
            task=task.name,
        ) from last_error

    async def reuse(
        self,
        task: Task,
        parent: Node,
        joined: tuple[str, ...],
        ready: dict[str, asyncio.Future[tuple[BaseModel, Node]]],
    ) -> bool:
        """Take over `task`'s recorded output under `parent`, if there is a reusable one."""
        found = await self.recorded(
            parent,
            lambda m: (
                isinstance(m, TaskOutput)
                and (m.workflow, m.state, m.task, m.joined)
                == (self.workflow.name, task.state.name, task.name, joined)
            ),
        )
        if found is None:
            return False
        node, message = found
        try:
            output = task.output_model.model_validate_json(message.text)
        except ValidationError:
            # The task's model changed since it ran: its old output no longer fits, run it.
            return False
        await self.take_over(node)
        self.result.outputs[(task.state.name, task.name)] = output
        self.result.nodes[(task.state.name, task.name)] = node
        self.report(task, "reused")
        self.tell(task, TaskStatus.DONE, node=node.hash_key)
        if self.breakpoints is not None:
            await self.breakpoints.held(self, task, node)
        ready[task.name].set_result((output, node))
        return True

    async def call_task(self, task: Task, merged: dict[str, Any], run: Run) -> BaseModel:
        value = task_input(task, merged)
        if task.nested is not None:  # a sub-workflow or a network (see `nested`)
            output = await task.nested.execute(self, task, value, run)
        elif self.tasks_on is not None and self.tasks_on.executes(task):
            output = await self.tasks_on.execute(task, value, run)
        else:
            output = await call_local(task, value, self.scope)
        return check_output(task, output)

    async def next_state(self, state: State, merged: dict[str, Any]) -> State | None:
        if state.final:
            return None
        for transition in self.workflow.transitions_from(state):
            if transition.condition is None:
                return transition.target
            try:
                fires = await transition.condition.evaluate(merged, self.scope)
            except Exception as error:
                name = transition.condition.name
                run = self.new_run(f"{self.workflow.name}/{state.name}/{name}", self.result.head)
                message = TaskError.from_exception(
                    error, workflow=self.workflow.name, state=state.name, task=name
                )
                node = await self.write(message, self.result.head, run.id)
                run.output_nodes = [node.hash_key]
                await self.finish_run(run, RunStatus.ERROR, message.text)
                raise WorkflowTaskFailed(
                    f"{where(self.workflow.name, state.name)}, condition {name!r} raised "
                    f"{type(error).__name__}: {error}",
                    state=state.name,
                    task=name,
                ) from error
            if fires:
                return transition.target
        return None


def _input_dict(workflow: Workflow, value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return dict(value)
    raise WorkflowError(f"{where(workflow.name)}: input must be a pydantic model or a mapping")


def check_input(workflow: Workflow, value: Mapping[str, Any]) -> dict[str, Any]:
    """`value` with the defaults of the start state's first tasks' models filled in, as
    `run_workflow` would get it as a model; raises `TaskInputMismatch` when it does not fit one.

    A run would find out only when that task starts; a command line checks first, so a
    typo costs no recorded run.
    """
    completed = dict(value)
    for task in workflow.start.tasks.values():
        if task.upstream or task.input_model is None:
            continue
        try:
            model = task.input_model.model_validate(dict(value))
        except ValidationError as error:
            raise TaskInputMismatch(
                f"{task.place}: the workflow's input does not fit {task.input_model.__name__}: "
                f"{first_error(error)}"
            ) from None
        completed.update(model.model_dump(mode="json"))
    return completed


async def run_workflow(
    workflow: Workflow,
    value: BaseModel | Mapping[str, Any] | None = None,
    *,
    session: Session | None = None,
    branch: str | None = None,
    step_limit: int = DEFAULT_STEP_LIMIT,
    tasks_on: TaskPlacement | None = None,
    source: str = "",
    progress: Progress | None = None,
    watcher: WorkflowWatcher | None = None,
    durability: Durability = "sync",
) -> WorkflowResult:
    """Run `workflow` on `value`, recording it into `session` (default: a new in-memory one).

    The run goes on `branch` (default: a free ``workflow-NAME-N``); its record is a `Run`
    whose children are the task runs. `source` (``file.py:NAME``) is recorded in the input
    node so the run can be resumed from another process; `progress` is told of each task.
    Raises `WorkflowTaskFailed` (caused by the task's own
    error, a `TaskInputMismatch` or a `TaskOutputMismatch`) or `StepLimitExceeded`, each with
    `.result`, or `CancelledError` when cancelled; either way what finished stays recorded and
    the dependencies are torn down. `tasks_on` runs the tasks it `executes` elsewhere
    (``remote_tasks(url)`` on NATS workers); their outputs are recorded here all the same.
    `watcher` is called with each task's status changes and streamed tokens (see `watch`).
    `durability` says when the records are stored (see `Durability`).
    """
    workflow.validate()
    if step_limit < 1:
        raise ValueError("step_limit must be at least 1")
    if durability not in ("sync", "async"):
        raise ValueError(f"durability must be 'sync' or 'async', not {durability!r}")
    state_input = _input_dict(workflow, value)
    if session is None:
        from ..store.memory import MemoryStore

        session = await Session.create(MemoryStore(), title=f"workflow {workflow.name}")
    branch = branch or await session.free_branch_name(f"workflow-{workflow.name}")
    pid, host = this_process()
    run = Run(agent=workflow.name, session_id=session.id, pid=pid, host=host)
    result = WorkflowResult(workflow.name, session, branch, run)
    execution = _Execution(
        workflow,
        session,
        result,
        tasks_on,
        progress=progress,
        watcher=watcher,
        durability=durability,
    )
    await session.save_run(run)

    async def enter() -> Node:
        entry = await session.append(
            WorkflowInput(
                text=json.dumps(state_input, ensure_ascii=False, default=str),
                workflow=workflow.name,
                source=source,
            ),
            sender=workflow.name,
            branch=branch,
            run_id=run.id,
        )
        run.input_node = entry.hash_key
        # Saved now, not at the end: a run killed midway is found (and resumed) by it.
        await session.save_run(run)
        return entry

    return await _drive(execution, enter, state_input, step_limit)


async def continue_workflow(
    workflow: Workflow,
    session: Session,
    run: Run,
    *,
    branch: str,
    reusable: frozenset[str],
    step_limit: int = DEFAULT_STEP_LIMIT,
    progress: Progress | None = None,
    tasks_on: TaskPlacement | None = None,
    watcher: WorkflowWatcher | None = None,
    durability: Durability = "sync",
) -> WorkflowResult:
    """Run `workflow` again from `run`'s input node, as `run`, taking over `reusable` outputs.

    Only tasks with no reusable recorded output run. `branch` is made at the input node when
    it does not exist. Raises as `run_workflow` does.
    """
    workflow.validate()
    if step_limit < 1:
        raise ValueError("step_limit must be at least 1")
    if durability not in ("sync", "async"):
        raise ValueError(f"durability must be 'sync' or 'async', not {durability!r}")
    if run.input_node is None:
        raise WorkflowError(f"{where(workflow.name)}: run {run.id} has no input node")
    entry = await session.resolve(run.input_node)
    message = await session.message(entry)
    if not isinstance(message, WorkflowInput) or message.workflow != workflow.name:
        raise WorkflowError(
            f"{where(workflow.name)}: run {run.id[:12]} did not start with this workflow's input"
        )
    state_input = json.loads(message.text)
    run.pid, run.host = this_process()
    run.status, run.error, run.ended_at = RunStatus.RUNNING, None, None
    result = WorkflowResult(workflow.name, session, branch, run)
    execution = _Execution(
        workflow,
        session,
        result,
        tasks_on,
        reusable=reusable,
        progress=progress,
        watcher=watcher,
        durability=durability,
    )
    await session.save_run(run)

    async def enter() -> Node:
        result.head = entry
        await execution.move_branch(create_only=True)
        return entry

    return await _drive(execution, enter, state_input, step_limit)


async def _drive(
    execution: _Execution,
    enter: Callable[[], Awaitable[Node]],
    state_input: dict[str, Any],
    step_limit: int,
) -> WorkflowResult:
    """Run the state machine from the node `enter` gives, closing the run however it ends."""
    workflow, result = execution.workflow, execution.result
    try:
        entry = await enter()
        result.head = entry
        state: State | None = workflow.start
        while state is not None:
            if len(result.states) >= step_limit:
                raise StepLimitExceeded(
                    f"{where(workflow.name, state.name)}: stopped after {step_limit} states "
                    "without reaching a final state; raise step_limit or check the transitions"
                )
            result.states.append(state.name)
            state_input, entry = await execution.run_state(state, state_input, entry)
            result.result = state_input
            await execution.move_branch()
            state = await execution.next_state(state, state_input)
    except asyncio.CancelledError:
        await asyncio.shield(_close(execution, RunStatus.CANCELLED, None))
        raise
    except WorkflowWaiting as error:
        error.result = result
        result.head = error.node
        await asyncio.shield(_close(execution, RunStatus.WAITING, None))
        raise
    except WorkflowError as error:
        error.result = result
        await asyncio.shield(_close(execution, RunStatus.ERROR, str(error)))
        raise
    except BaseException as error:
        await asyncio.shield(_close(execution, RunStatus.ERROR, f"{type(error).__name__}: {error}"))
        raise
    await _close(execution, RunStatus.DONE, None)
    return result


async def _close(execution: _Execution, status: RunStatus, error: str | None) -> None:
    """End the run: branch at the last node, record saved, dependencies torn down."""
    try:
        await execution.move_branch()
        run = execution.result.run
        if execution.result.head is not None:
            run.output_nodes = [execution.result.head.hash_key]
        await execution.finish_run(run, status, error)
        await execution.recorder.drain()
    finally:
        await execution.scope.aclose()
