"""Nested machines: a task of a state that runs a sub-workflow or an agent network.

``state.subworkflow(wf, name=, input=, output=, retry=, step_limit=)`` and
``state.network(net, name=, input=, output=, ask=, answer=, retry=)`` place a `Task` like any
other: it has typed input and output models, takes part in edges (``a >> nested >> b``), its
output is merged into the state's result that conditions read, `retry` retries it whole (each
attempt a fresh inner run), and it can be called as a plain function (the machine then runs
in memory, unrecorded). The engine runs its `NestedBody` instead of a function; each attempt
is one `Run`, and everything the inner machine records hangs off it:

- A sub-workflow's nodes hang under the nested task's input node: a `WorkflowInput` (sender
  the inner workflow, `source` the nested task's ``WF/STATE/TASK``), then its tasks' and
  states' nodes as in any run. Its task runs are child runs of the attempt's run; it leaves
  the branch to the outer run. The input is the task's validated input; the output is the
  inner run's result (its last state's result) validated into `output`
  (`TaskOutputMismatch` when it does not fit). The inner machine has its own step limit
  (`step_limit`, default the engine's). A failure inside (a task's, a condition's, the step
  limit) leaves its error node inside and fails the nested task, whose own `TaskError` node
  lands where its output would be; a cancel stops the inner machine too, its finished nodes
  kept. Resuming takes over every inner output an earlier attempt finished (see `durable`),
  so a kill in the middle of a sub-workflow reruns only its unfinished tasks.
- A network (its body is in `nested_network`) gets ``ask(input)`` (default: a `NetMessage`
  whose text is the input's JSON, to the entry actor) as a node under the nested task's
  input node, and `NetRecorder` writes its conversation below it, the actors' runs being
  child runs of the attempt's run, on a branch of its own, ``BRANCH/TASK-N`` (the first
  free one), so the conversation can be checked out. The output is ``answer(result)`` when
  given; else the last message that left the network (or, when none left, the last one
  sent) that is not a `NetError` or a `Stopped` notice, read into `output`: the message
  itself if it is one, else its fields, else its text as JSON. A network that ends with a
  `NetError` and no answer, or sends nothing, fails the task (`NetworkAnswerMissing`); a
  message that fits none of these fails it too (`TaskOutputMismatch`). A network is not
  resumed midway: an unfinished one runs again whole. One `Network` object runs one
  conversation at a time, so a workflow holding one is not run twice at once.

Watching: the inner tasks' events and tokens reach the run's watcher (and its `progress`)
with `state` = ``OUTER_STATE/TASK/INNER_STATE``, so ``(state, task)`` stays unique at every
depth; a network's messages stream into the nested task's own tokens, each headed by its
sender.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ..tree import Node
from .dsl import NestedBody, RetryPolicy, State, Task, Workflow
from .engine import (
    DEFAULT_STEP_LIMIT,
    Progress,
    WorkflowProgress,
    WorkflowResult,
    _drive,
    _Execution,
    run_workflow,
)
from .errors import TaskOutputMismatch, WorkflowDefinitionError, where
from .executor import first_error
from .records import WorkflowInput
from .watch import TaskEvent, TaskTokens

if TYPE_CHECKING:
    from ..runs import Run

__all__ = [
    "SubWorkflowBody",
    "check_nesting",
    "model_of",
    "nested_agents",
    "place_task",
    "subworkflow_task",
]


def model_of(value: Any, place: str, what: str) -> type[BaseModel] | None:
    """`value` if it is a pydantic model class (or None); else a definition error at `place`."""
    if value is None or (isinstance(value, type) and issubclass(value, BaseModel)):
        return value
    raise WorkflowDefinitionError(f"{place}: {what}= must be a pydantic model, got {value!r}")


def _nesting_path(start: Workflow, goal: Workflow) -> list[str] | None:
    """The workflow names from `start` to `goal` through nested tasks, if `start` nests it."""
    if start is goal:
        return [start.name]
    for state in start.states.values():
        for task in state.tasks.values():
            for inner in () if task.nested is None else task.nested.nested_workflows():
                path = _nesting_path(inner, goal)
                if path is not None:
                    return [start.name, *path]
    return None


def check_nesting(outer: Workflow, inner: Workflow, place: str) -> None:
    """Raise `WorkflowDefinitionError` (starting with `place`, the nesting task) when `outer`
    nesting `inner` would make a workflow contain itself."""
    path = _nesting_path(inner, outer)
    if path is None:
        return
    if len(path) == 1:
        raise WorkflowDefinitionError(f"{place}: a workflow cannot nest itself")
    chain = " -> ".join(repr(name) for name in [outer.name, *path])
    raise WorkflowDefinitionError(
        f"{place}: nests workflow {inner.name!r}, which nests this one ({chain}); "
        "a machine cannot contain itself"
    )


def nested_agents(workflow: Workflow) -> frozenset[str]:
    """The run agent names (``wf/state/task``) of the nested tasks in `workflow`, at any depth:
    whose child runs hold inner outputs a resume may take over."""
    found: set[str] = set()
    for state in workflow.states.values():
        for task in state.tasks.values():
            if task.nested is None:
                continue
            found.add(f"{workflow.name}/{state.name}/{task.name}")
            for inner in task.nested.nested_workflows():
                found |= nested_agents(inner)
    return frozenset(found)


def place_task(
    state: State,
    name: str,
    body: NestedBody,
    input_model: type[BaseModel] | None,
    output_model: type[BaseModel],
    call: Callable[[BaseModel | None], Any],
    retry: RetryPolicy | None,
) -> Task:
    """A `Task` of `state` whose models are the given ones and whose function runs `call`."""
    state.check_free(name)
    if input_model is None:

        async def function() -> Any:
            return await call(None)

        function.__annotations__ = {"return": output_model}
    else:

        async def function(value: Any) -> Any:  # type: ignore[misc]
            return await call(value)

        function.__annotations__ = {"value": input_model, "return": output_model}
    function.__name__ = function.__qualname__ = name
    task = Task(state, name, function, retry)
    task.nested = body
    state.tasks[name] = task
    return task


def _validated(model: type[BaseModel], value: Mapping[str, Any], place: str, what: str) -> Any:
    try:
        return model.model_validate(dict(value))
    except ValidationError as error:
        raise TaskOutputMismatch(
            f"{place}: {what} does not fit {model.__name__}: {first_error(error)}"
        ) from None


# --- sub-workflows --------------------------------------------------------------------------


def _distinct(models: Sequence[type[BaseModel] | None]) -> list[type[BaseModel]]:
    return [model for model in dict.fromkeys(models) if model is not None]


def subworkflow_task(
    state: State,
    workflow: Workflow,
    name: str | None,
    *,
    input_model: type[BaseModel] | None,
    output_model: type[BaseModel] | None,
    retry: RetryPolicy | None,
    step_limit: int | None,
) -> Task:
    """`State.subworkflow`: place a task running `workflow` (see the module doc)."""
    task_name = name or str(getattr(workflow, "name", ""))
    place = where(state.workflow.name, state.name, task_name)
    if not isinstance(workflow, Workflow):
        raise WorkflowDefinitionError(f"{place}: subworkflow() takes a Workflow, got {workflow!r}")
    if step_limit is not None and step_limit < 1:
        raise WorkflowDefinitionError(f"{place}: step_limit must be at least 1")
    check_nesting(state.workflow, workflow, place)
    try:
        workflow.validate()
    except WorkflowDefinitionError as error:
        raise WorkflowDefinitionError(f"{place}: nests an invalid workflow: {error}") from None
    inputs = model_of(input_model, place, "input")
    if input_model is None:
        roots = _distinct([t.input_model for t in workflow.start.tasks.values() if not t.upstream])
        if len(roots) > 1:
            raise WorkflowDefinitionError(
                f"{place}: the start tasks of {workflow.name!r} take different models; "
                "say which one this task takes with input="
            )
        inputs = roots[0] if roots else None
    outputs = model_of(output_model, place, "output")
    if outputs is None:
        finals = [s for s in workflow.states.values() if s.final]
        feeding = {id(u) for s in finals for t in s.tasks.values() for u in t.upstream}
        sinks = [t.output_model for s in finals for t in s.tasks.values() if id(t) not in feeding]
        found = _distinct(sinks)
        if len(found) != 1:
            raise WorkflowDefinitionError(
                f"{place}: cannot tell the output model of {workflow.name!r} (it needs one final "
                "state with one last task); say it with output="
            )
        outputs = found[0]
    body = SubWorkflowBody(workflow, outputs, step_limit)

    async def alone(value: BaseModel | None) -> BaseModel:
        result = await run_workflow(workflow, value, step_limit=body.limit())
        return body.output_of(result.result, place)

    return place_task(state, task_name, body, inputs, outputs, alone, retry)


class SubWorkflowBody:
    """What a sub-workflow task runs: the inner machine, recorded under the attempt's run."""

    def __init__(
        self, workflow: Workflow, output_model: type[BaseModel], step_limit: int | None
    ) -> None:
        self.workflow = workflow
        self.output_model = output_model
        self.step_limit = step_limit

    def limit(self) -> int:
        return self.step_limit or DEFAULT_STEP_LIMIT

    @property
    def label(self) -> str:
        return f"workflow {self.workflow.name}"

    def nested_workflows(self) -> tuple[Workflow, ...]:
        return (self.workflow,)

    def output_of(self, result: Mapping[str, Any], place: str) -> BaseModel:
        return _validated(  # type: ignore[no-any-return]
            self.output_model, result, place, f"the result of workflow {self.workflow.name!r}"
        )

    async def execute(
        self, execution: Any, task: Task, value: BaseModel | None, run: Run
    ) -> BaseModel:
        outer: _Execution = execution
        session = outer.session
        assert run.input_node is not None
        parent = await session.store.get_node(run.input_node)
        state_input = {} if value is None else value.model_dump(mode="json")
        # The attempt's run is the inner run: its tasks' runs are its children.
        result = WorkflowResult(self.workflow.name, session, outer.result.branch, run)
        prefix = f"{task.state.name}/{task.name}"
        inner = _InnerExecution(
            self.workflow,
            session,
            result,
            outer.tasks_on,
            reusable=outer.reusable,
            progress=_prefixed_progress(outer.progress, prefix),
            watcher=_prefixed_watcher(outer.watcher, prefix),
        )
        inner.recorder = outer.recorder
        # Breakpoints stop the outer machine's tasks only: a stop inside would fail the
        # nested task rather than wait (not yet supported, see `breakpoints`).
        inner.breakpoints = None

        async def enter() -> Node:
            # The same input under the same node is the same node (hashes are content):
            # on a resume this finds the inner tasks an earlier attempt recorded below it.
            # `source` names the nested task: two of them running one workflow on one input
            # under one node are two runs, not one.
            message = WorkflowInput(
                text=json.dumps(state_input, ensure_ascii=False, default=str),
                workflow=self.workflow.name,
                source=f"{outer.workflow.name}/{task.state.name}/{task.name}",
            )
            return await inner.write(message, parent, run.id)

        done = await _drive(inner, enter, state_input, self.limit())
        return self.output_of(done.result, task.place)


def _prefixed_progress(progress: Progress | None, prefix: str) -> Progress | None:
    if progress is None:
        return None
    report = progress

    def prefixed(step: WorkflowProgress) -> None:
        report(dataclasses.replace(step, state=f"{prefix}/{step.state}"))

    return prefixed


def _prefixed_watcher(
    watcher: Callable[[TaskEvent | TaskTokens], None] | None, prefix: str
) -> Callable[[TaskEvent | TaskTokens], None] | None:
    if watcher is None:
        return None
    tell = watcher

    def prefixed(event: TaskEvent | TaskTokens) -> None:
        tell(dataclasses.replace(event, state=f"{prefix}/{event.state}"))

    return prefixed


class _InnerExecution(_Execution):
    """An execution inside a nested task: it leaves the branch to the outer run's."""

    async def move_branch(self, *, create_only: bool = False) -> None:
        await self.recorder.drain()
