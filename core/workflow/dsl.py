"""The workflow DSL: `Workflow`, its `State`s, their tasks and edges, conditions, transitions.

    wf = Workflow("sop")
    design = wf.state("design")

    @design.task()
    def write_prd(idea: Idea) -> Prd: ...

    @design.task()
    def write_design(prd: Prd) -> Design: ...

    write_prd >> write_design              # also a << [b, c], [b, c] >> d, a >> b >> c

    @design.condition()
    def satisfactory(result: Design) -> bool: ...

    (design & satisfactory) >> coding      # ~cond, cond & cond, cond | cond work too
    (design & ~satisfactory) >> design

A state may hold a whole machine as one task (see `nested`), so machines nest:

    review = design.subworkflow(review_wf, name="review", input=Design, output=Review)
    debate = design.network(net, name="debate", input=Design, output=Verdict)
    write_design >> review >> write_code   # edges, retry=, conditions as for any task

A sub-workflow's input is the task's validated input; its output is its last state's result
validated into `output`. A network gets ``ask(input)`` (default: a message with the input's
JSON to its entry actor) and its output is ``answer(NetResult)`` (default: the last message
that left the network, read into `output`). `input` and `output` default to what the
sub-workflow's start tasks take and its final task returns, when that is one model each.

Nothing registers itself on import: a program builds its `Workflow` objects and hands them
to whoever runs them (a `WorkflowRegistry`, or `run_workflow` directly). Mistakes that can
be seen before running (a cycle, an edge to a task of another state, a non-pydantic
annotation, a workflow nesting itself directly or through others) raise
`WorkflowDefinitionError` at once, naming the workflow, state and task.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel

from .depends import Depends, dependency_parameters
from .errors import WorkflowDefinitionError, where

if TYPE_CHECKING:
    from ..net import NetResult, Network
    from ..runs import Run

__all__ = [
    "Condition",
    "Guard",
    "NestedBody",
    "RetryPolicy",
    "State",
    "Task",
    "Transition",
    "Workflow",
    "WorkflowRegistry",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a failing task is tried (`attempts` in all) and how long to wait between."""

    attempts: int = 1
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.delay < 0:
            raise ValueError("RetryPolicy.delay cannot be negative")


def _signature_models(
    function: Callable[..., Any], place: str, *, needs_output: bool
) -> tuple[str | None, type[BaseModel] | None, type[BaseModel] | None]:
    """The input parameter's name and model and the output model of a task or condition."""
    try:
        hints = typing.get_type_hints(function)
    except Exception as error:
        raise WorkflowDefinitionError(f"{place}: cannot read its annotations: {error}") from None
    inputs = [
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if not isinstance(parameter.default, Depends)
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]
    if len(inputs) > 1:
        raise WorkflowDefinitionError(
            f"{place}: takes one input parameter (its model), got {', '.join(inputs)}; "
            "give the others a Depends(...) default"
        )
    input_name = inputs[0] if inputs else None
    input_model = None
    if input_name is not None:
        input_model = hints.get(input_name)
        if not (isinstance(input_model, type) and issubclass(input_model, BaseModel)):
            raise WorkflowDefinitionError(
                f"{place}: input parameter {input_name!r} must be annotated with a pydantic "
                f"model, got {input_model!r}"
            )
    output_model = None
    if needs_output:
        output_model = hints.get("return")
        if not (isinstance(output_model, type) and issubclass(output_model, BaseModel)):
            raise WorkflowDefinitionError(
                f"{place}: return annotation must be a pydantic model, got {output_model!r}"
            )
    return input_name, input_model, output_model


class NestedBody(Protocol):
    """What a nested task runs instead of a function: a sub-workflow or a network (`nested`)."""

    @property
    def label(self) -> str:
        """What it holds, for a display: ``workflow NAME`` or ``network NAME``."""
        ...

    def nested_workflows(self) -> tuple[Workflow, ...]:
        """The workflows it runs (checked for nesting cycles)."""
        ...

    async def execute(
        self, execution: Any, task: Task, value: BaseModel | None, run: Run
    ) -> BaseModel:
        """Run as the attempt `run` of `task` in the engine's `execution`; return the output."""
        ...


class Task:
    """A function placed in a state; its edges say whose outputs it takes as input."""

    nested: NestedBody | None = None
    """Set on a task that holds a sub-workflow or a network (`State.subworkflow`/`network`)."""

    def __init__(
        self, state: State, name: str, function: Callable[..., Any], retry: RetryPolicy | None
    ) -> None:
        self.state = state
        self.name = name
        self.function = function
        self.retry = retry
        self.upstream: list[Task] = []
        self.input_name, self.input_model, output_model = _signature_models(
            function, self.place, needs_output=True
        )
        assert output_model is not None
        self.output_model: type[BaseModel] = output_model
        # Read once here: a signature costs more than a small task, and a workflow built
        # from a factory gives each task a function of its own.
        self.dependencies: dict[str, Depends] = dependency_parameters(function)
        self.is_async = inspect.iscoroutinefunction(function)

    @property
    def place(self) -> str:
        return where(self.state.workflow.name, self.state.name, self.name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The decorated name stays callable as the plain function, for unit tests of a task.
        return self.function(*args, **kwargs)

    def __rshift__(self, other: Task | str | list[Task | str]) -> Any:
        targets = other if isinstance(other, list) else [other]
        resolved = [self.state.edge(self, target) for target in targets]
        return resolved if isinstance(other, list) else resolved[0]

    def __rrshift__(self, other: list[Task | str]) -> Task:
        # `[b, c] >> d`: a list has no `>>`, so Python asks `d`.
        for source in other:
            self.state.edge(source, self)
        return self

    def __lshift__(self, other: Task | str | list[Task | str]) -> Task:
        for source in other if isinstance(other, list) else [other]:
            self.state.edge(source, self)
        return self

    def __rlshift__(self, other: list[Task | str]) -> list[Task]:
        # `[b, c] << a`: a feeds both.
        return [self.state.edge(self, target) for target in other]

    def __repr__(self) -> str:
        return f"Task({self.place})"


class Condition:
    """A predicate over a state's result, combined with `~`, `&` and `|`."""

    def __init__(self, name: str, evaluate: Callable[[Any, Any], Any]) -> None:
        self.name = name
        # evaluate(result, run_context) -> bool or an awaitable of one.
        self._evaluate = evaluate

    async def evaluate(self, result: Any, context: Any) -> bool:
        value = self._evaluate(result, context)
        if inspect.isawaitable(value):
            value = await value
        return bool(value)

    def __invert__(self) -> Condition:
        async def negated(result: Any, context: Any) -> bool:
            return not await self.evaluate(result, context)

        return Condition(f"~{self.name}", negated)

    def __and__(self, other: Condition) -> Condition:
        async def both(result: Any, context: Any) -> bool:
            return await self.evaluate(result, context) and await other.evaluate(result, context)

        return Condition(f"({self.name} & {other.name})", both)

    def __or__(self, other: Condition) -> Condition:
        async def either(result: Any, context: Any) -> bool:
            return await self.evaluate(result, context) or await other.evaluate(result, context)

        return Condition(f"({self.name} | {other.name})", either)

    def __repr__(self) -> str:
        return f"Condition({self.name})"


@dataclass(frozen=True, slots=True)
class Transition:
    source: State
    condition: Condition | None
    target: State


@dataclass(frozen=True, slots=True)
class Guard:
    """``state & condition``: waits for ``>> target`` to become a transition."""

    state: State
    condition: Condition

    def __and__(self, other: Condition) -> Guard:
        return Guard(self.state, self.condition & other)

    def __or__(self, other: Condition) -> Guard:
        return Guard(self.state, self.condition | other)

    def __rshift__(self, target: State) -> State:
        self.state.workflow.add_transition(self.state, self.condition, target)
        return target


class State:
    """A DAG of tasks; after it runs, the workflow's transitions from it pick the next state."""

    def __init__(self, workflow: Workflow, name: str, *, final: bool) -> None:
        self.workflow = workflow
        self.name = name
        self.final = final
        self.tasks: dict[str, Task] = {}

    @property
    def place(self) -> str:
        return where(self.workflow.name, self.name)

    def task(
        self, name: str | None = None, *, retry: RetryPolicy | None = None
    ) -> Callable[[Callable[..., Any]], Task]:
        """Decorate a sync or async function ``(input: InModel, deps=Depends(...)) -> OutModel``."""

        def place(function: Callable[..., Any]) -> Task:
            task_name = name or function.__name__
            self.check_free(task_name)
            task = Task(self, task_name, function, retry)
            self.tasks[task_name] = task
            return task

        return place

    def check_free(self, name: str) -> None:
        """Raise if this state has a task named `name` already."""
        if name in self.tasks:
            raise WorkflowDefinitionError(
                f"{where(self.workflow.name, self.name, name)}: defined twice"
            )

    def subworkflow(
        self,
        workflow: Workflow,
        name: str | None = None,
        *,
        input: type[BaseModel] | None = None,
        output: type[BaseModel] | None = None,
        retry: RetryPolicy | None = None,
        step_limit: int | None = None,
    ) -> Task:
        """A task (named `name`, default the workflow's name) that runs `workflow` on its input
        and returns the sub-workflow's result as `output`; see `nested`."""
        from .nested import subworkflow_task

        return subworkflow_task(
            self,
            workflow,
            name,
            input_model=input,
            output_model=output,
            retry=retry,
            step_limit=step_limit,
        )

    def network(
        self,
        network: Network,
        name: str | None = None,
        *,
        input: type[BaseModel] | None,
        output: type[BaseModel],
        ask: Callable[[Any], Any] | None = None,
        answer: Callable[[NetResult], BaseModel] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Task:
        """A task (named `name`, default the network's name) that runs `network` on
        ``ask(input)`` and returns ``answer(result)`` as `output`; see `nested`."""
        from .nested_network import network_task

        return network_task(
            self,
            network,
            name,
            input_model=input,
            output_model=output,
            ask=ask,
            answer=answer,
            retry=retry,
        )

    def condition(self, name: str | None = None) -> Callable[[Callable[..., Any]], Condition]:
        """Decorate a predicate ``(result: Model) -> bool`` (sync or async) over this state's
        result: its input merged with every task's output."""
        from .engine import call_condition

        def place(function: Callable[..., Any]) -> Condition:
            condition_name = name or function.__name__
            spot = f"{self.place}, condition {condition_name!r}"
            _, input_model, _ = _signature_models(function, spot, needs_output=False)

            async def evaluate(result: Any, context: Any) -> bool:
                return await call_condition(function, input_model, result, context)

            return Condition(condition_name, evaluate)

        return place

    def edge(self, source: Task | str, target: Task | str) -> Task:
        """Make `target` take `source`'s output; returns `target` so chains go on."""
        first = self._own(source)
        second = self._own(target)
        if first is second or self._reaches(first, second):
            raise WorkflowDefinitionError(f"{second.place}: edge from {first.name!r} makes a cycle")
        if first not in second.upstream:
            second.upstream.append(first)
        return second

    def _own(self, task: Task | str) -> Task:
        if isinstance(task, str):
            found = self.tasks.get(task)
            if found is None:
                raise WorkflowDefinitionError(
                    f"{where(self.workflow.name, self.name, task)}: edge to an unknown task"
                )
            return found
        if task.state is not self or self.tasks.get(task.name) is not task:
            raise WorkflowDefinitionError(
                f"{where(self.workflow.name, self.name, task.name)}: edge to an unknown task "
                f"(it belongs to {task.place})"
            )
        return task

    @staticmethod
    def _reaches(start: Task, goal: Task) -> bool:
        """Whether `goal` is upstream of `start` (then an edge start -> goal closes a loop)."""
        seen: set[int] = set()
        stack = [start]
        while stack:
            task = stack.pop()
            if task is goal:
                return True
            if id(task) not in seen:
                seen.add(id(task))
                stack.extend(task.upstream)
        return False

    def __and__(self, condition: Condition) -> Guard:
        return Guard(self, condition)

    def __rshift__(self, target: State) -> State:
        """An unconditional transition, tried after the conditional ones."""
        self.workflow.add_transition(self, None, target)
        return target

    def __repr__(self) -> str:
        return f"State({self.place})"


class Workflow:
    """States joined by transitions. The first state made is where a run starts.

    A run ends after a state marked ``final=True``, or after a state none of whose
    transitions fires.
    """

    def __init__(self, name: str, *, retry: RetryPolicy | None = None) -> None:
        if not name:
            raise WorkflowDefinitionError("a workflow needs a name")
        self.name = name
        self.retry = retry or RetryPolicy()
        self.states: dict[str, State] = {}
        self.transitions: list[Transition] = []

    @property
    def start(self) -> State:
        if not self.states:
            raise WorkflowDefinitionError(f"{where(self.name)}: has no state")
        return next(iter(self.states.values()))

    def state(self, name: str, *, final: bool = False) -> State:
        if name in self.states:
            raise WorkflowDefinitionError(f"{where(self.name, name)}: defined twice")
        state = State(self, name, final=final)
        self.states[name] = state
        return state

    def add_transition(self, source: State, condition: Condition | None, target: State) -> None:
        for state in (source, target):
            if self.states.get(state.name) is not state:
                raise WorkflowDefinitionError(
                    f"{where(self.name, state.name)}: transition to an unknown state"
                )
        self.transitions.append(Transition(source, condition, target))

    def transitions_from(self, state: State) -> list[Transition]:
        """Conditional transitions first, in the order made, then unconditional ones."""
        own = [t for t in self.transitions if t.source is state]
        return [t for t in own if t.condition is not None] + [t for t in own if t.condition is None]

    def validate(self) -> None:
        """Check what only a whole definition shows: every state has a task, and every
        workflow nested in it is valid and does not nest this one."""
        for state in self.states.values():
            if not state.tasks:
                raise WorkflowDefinitionError(f"{state.place}: has no task")
        self.start  # noqa: B018 (raises for a workflow without states)
        for state in self.states.values():
            for task in state.tasks.values():
                if task.nested is not None:
                    from .nested import check_nesting

                    for inner in task.nested.nested_workflows():
                        check_nesting(self, inner, task.place)
                        inner.validate()

    def __repr__(self) -> str:
        return f"Workflow({self.name!r})"


class WorkflowRegistry:
    """Workflows by name, registered explicitly (never as a side effect of an import)."""

    def __init__(self, workflows: Iterable[Workflow] = ()) -> None:
        self._workflows: dict[str, Workflow] = {}
        for workflow in workflows:
            self.register(workflow)

    def register(self, workflow: Workflow) -> Workflow:
        workflow.validate()
        if self._workflows.get(workflow.name, workflow) is not workflow:
            raise WorkflowDefinitionError(
                f"{where(workflow.name)}: a different workflow has this name"
            )
        self._workflows[workflow.name] = workflow
        return workflow

    def get(self, name: str) -> Workflow:
        try:
            return self._workflows[name]
        except KeyError:
            known = ", ".join(sorted(self._workflows)) or "none"
            raise KeyError(f"no workflow named {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._workflows)
