"""Running a `Workflow`: push-based, every task execution a `Run`, every output a node.

Within a state every task is started at once and waits only on its own inputs (futures its
upstream tasks resolve), so a task runs the moment what it needs is there: no phase barrier,
no polling. Sync tasks run in a worker thread so they do not stall the others.

Failure: a task is tried as its `RetryPolicy` says (each attempt its own `Run`), then its
`TaskError` node is written where its output would have been, its siblings are cancelled and
the workflow fails with `WorkflowTaskFailed`. Cancel: the whole workflow stops, finished
outputs stay in the tree, unfinished task runs are marked cancelled. The branch head is moved
to the last node written, so the branch shows how far the run got.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import RefConflict
from ..recording import this_process
from ..runs import Run, RunStatus
from ..session import Session
from ..tree import Node
from .depends import DependencyScope
from .dsl import State, Task, Workflow
from .errors import (
    StepLimitExceeded,
    TaskInputMismatch,
    TaskOutputMismatch,
    WorkflowError,
    WorkflowTaskFailed,
    where,
)
from .records import StateOutput, TaskError, TaskOutput, WorkflowInput
from .watch import TaskEvent, TaskStatus, TaskTokens, WorkflowWatcher, bind_tokens, reset_tokens

__all__ = ["DEFAULT_STEP_LIMIT", "WorkflowResult", "call_condition", "run_workflow"]

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


class _Execution:
    """One run of a workflow: its session, branch, dependency scope and records so far."""

    def __init__(
        self,
        workflow: Workflow,
        session: Session,
        result: WorkflowResult,
        watcher: WorkflowWatcher | None = None,
    ) -> None:
        self.workflow = workflow
        self.session = session
        self.result = result
        self.watcher = watcher
        # The run of each task's latest attempt, so a cancel event can name it.
        self.attempt_runs: dict[tuple[str, str], str] = {}
        self.scope = DependencyScope()
        self.pid, self.host = this_process()

    def tell(self, task: Task, status: TaskStatus, **details: Any) -> None:
        """Tell the watcher, if any, that `task` is now `status`."""
        if self.watcher is None:
            return
        event = TaskEvent(self.workflow.name, task.state.name, task.name, status, **details)
        # A watcher is a view: its bug must not stop the run.
        with contextlib.suppress(Exception):
            self.watcher(event)

    async def write(self, message: Any, parent: Node | None, run_id: str) -> Node:
        node = Node(
            message=message.hash_key,
            parent=None if parent is None else parent.hash_key,
            sender=self.workflow.name,
            run_id=run_id,
            created_at=time.time(),
        )
        await self.session.store.put_nodes((node,), (message,), session_id=self.session.id)
        self.result.head = node
        return node

    async def move_branch(self) -> None:
        """Point the branch at the last node written (left alone if someone else moved it)."""
        head = self.result.head
        if head is None:
            return
        store = self.session.store
        ref = await store.get_ref(self.session.id, self.result.branch)
        if ref is not None and ref.head == head.hash_key:
            return
        with contextlib.suppress(RefConflict):
            await store.move_ref(
                self.session.id,
                self.result.branch,
                head.hash_key,
                expected=None if ref is None else ref.head,
                reason="workflow",
            )

    def new_run(self, agent: str, input_node: Node | None) -> Run:
        return Run(
            agent=agent,
            session_id=self.session.id,
            parent_run_id=self.result.run.id,
            input_node=None if input_node is None else input_node.hash_key,
            pid=self.pid,
            host=self.host,
        )

    async def finish_run(self, run: Run, status: RunStatus, error: str | None = None) -> None:
        run.status = status
        run.error = error
        run.ended_at = time.time()
        await self.session.save_run(run)

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
        merged = dict(state_input)
        outputs = [ready[name].result() for name in state.tasks]
        for output, _ in outputs:
            merged.update(output.model_dump(mode="json"))
        # The state's node joins its sinks (the tasks nothing in the state reads): every other
        # task is upstream of one, so its hash covers them all. It hangs under the last sink
        # defined, so the branch path runs through that sink's whole chain.
        feeding = {id(source) for task in state.tasks.values() for source in task.upstream}
        sinks = [ready[t.name].result()[1] for t in state.tasks.values() if id(t) not in feeding]
        run = self.new_run(f"{self.workflow.name}/{state.name}", sinks[-1])
        message = StateOutput(
            text=json.dumps(merged, ensure_ascii=False, default=str),
            workflow=self.workflow.name,
            state=state.name,
            joined=tuple(node.hash_key for node in sinks[:-1]),
        )
        node = await self.write(message, sinks[-1], run.id)
        run.output_nodes = [node.hash_key]
        await self.finish_run(run, RunStatus.DONE)
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
        policy = task.retry or self.workflow.retry
        agent = f"{self.workflow.name}/{task.state.name}/{task.name}"
        last_run: Run | None = None
        last_error: BaseException | None = None
        for attempt in range(policy.attempts):
            if attempt and policy.delay:
                await asyncio.sleep(policy.delay)
            run = last_run = self.new_run(agent, parent)
            await self.session.save_run(run)
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
                output = await self.call_task(task, merged)
            except asyncio.CancelledError:
                await asyncio.shield(self.finish_run(run, RunStatus.CANCELLED))
                raise
            except Exception as error:
                last_error = error
                await self.finish_run(run, RunStatus.ERROR, f"{type(error).__name__}: {error}")
                continue
            finally:
                reset_tokens(streaming)
            message = TaskOutput(
                text=output.model_dump_json(),
                workflow=self.workflow.name,
                state=task.state.name,
                task=task.name,
                joined=joined,
            )
            node = await self.write(message, parent, run.id)
            run.output_nodes = [node.hash_key]
            await self.finish_run(run, RunStatus.DONE)
            self.result.outputs[(task.state.name, task.name)] = output
            self.result.nodes[(task.state.name, task.name)] = node
            self.tell(task, TaskStatus.DONE, run_id=run.id, attempt=attempt + 1, node=node.hash_key)
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
        await self.session.save_run(last_run)
        self.result.nodes[(task.state.name, task.name)] = error_node
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

    async def call_task(self, task: Task, merged: dict[str, Any]) -> BaseModel:
        kwargs = await self.scope.arguments(task.function)
        if task.input_name is not None and task.input_model is not None:
            try:
                kwargs[task.input_name] = task.input_model.model_validate(merged)
            except ValidationError as error:
                raise TaskInputMismatch(
                    f"{task.place}: its input does not fit {task.input_model.__name__}: "
                    f"{_first_error(error)}"
                ) from None
        if inspect.iscoroutinefunction(task.function):
            output = await task.function(**kwargs)
        else:
            output = await asyncio.to_thread(functools.partial(task.function, **kwargs))
        if not isinstance(output, task.output_model):
            raise TaskOutputMismatch(
                f"{task.place}: returned {type(output).__name__}, "
                f"expected {task.output_model.__name__}"
            )
        return output

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


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "input"
    return f"{location}: {first['msg']}"


def _input_dict(workflow: Workflow, value: BaseModel | Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return dict(value)
    raise WorkflowError(f"{where(workflow.name)}: input must be a pydantic model or a mapping")


async def run_workflow(
    workflow: Workflow,
    value: BaseModel | Mapping[str, Any] | None = None,
    *,
    session: Session | None = None,
    branch: str | None = None,
    step_limit: int = DEFAULT_STEP_LIMIT,
    watcher: WorkflowWatcher | None = None,
) -> WorkflowResult:
    """Run `workflow` on `value`, recording it into `session` (default: a new in-memory one).

    The run goes on `branch` (default: a free ``workflow-NAME-N``); its record is a `Run`
    whose children are the task runs. Raises `WorkflowTaskFailed` (caused by the task's own
    error, a `TaskInputMismatch` or a `TaskOutputMismatch`) or `StepLimitExceeded`, each with
    `.result`, or `CancelledError` when cancelled; either way what finished stays recorded and
    the dependencies are torn down. `watcher` is called with each task's status changes and
    streamed tokens (see `watch`).
    """
    workflow.validate()
    if step_limit < 1:
        raise ValueError("step_limit must be at least 1")
    state_input = _input_dict(workflow, value)
    if session is None:
        from ..store.memory import MemoryStore

        session = await Session.create(MemoryStore(), title=f"workflow {workflow.name}")
    branch = branch or await session.free_branch_name(f"workflow-{workflow.name}")
    pid, host = this_process()
    run = Run(agent=workflow.name, session_id=session.id, pid=pid, host=host)
    result = WorkflowResult(workflow.name, session, branch, run)
    execution = _Execution(workflow, session, result, watcher)
    await session.save_run(run)
    try:
        entry = await session.append(
            WorkflowInput(
                text=json.dumps(state_input, ensure_ascii=False, default=str),
                workflow=workflow.name,
            ),
            sender=workflow.name,
            branch=branch,
            run_id=run.id,
        )
        run.input_node = entry.hash_key
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
    finally:
        await execution.scope.aclose()
