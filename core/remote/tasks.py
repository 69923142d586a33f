"""Workflow tasks on workers: ``run_workflow(wf, x, tasks_on=remote_tasks(URL))``.

    # worker hosts:  ramify worker --nats nats://bus:4222 flows.py:sop
    # caller:
    result = await run_workflow(sop, Idea(...), tasks_on=remote_tasks("nats://bus:4222"))

A worker given ``FILE.py:WORKFLOW`` serves each task as an agent named
``workflow/state/task`` (`task_alias`), in the queue group like any agent, so the tasks of
one run spread over the pool. The caller validates a task's input, sends it as JSON in one
message, and the worker loads nothing else: it validates it again into the task's model,
resolves the task's dependencies in a scope of its own (closed when the task ends), calls the
function and replies its output's JSON. The caller's engine records the output node, with
the remote run id equal to the task attempt's `Run` id; the worker keeps nothing.
The workflow package is imported only when a task runs, so a worker serving only agents
starts no slower.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ..agents import Agent, InteractionContext, agent
from ..agents.calls import AgentCall
from ..frozen import FrozenMapping
from ..messages import AssistantMessage, UserMessage
from .caller import remote_agent
from .protocol import RemoteRunError

if TYPE_CHECKING:
    from ..runs import Run
    from ..workflow.dsl import Task, Workflow

__all__ = ["RemoteTasks", "remote_tasks", "task_alias", "workflow_agents"]


def task_alias(task: Task) -> str:
    """The agent name a worker serves `task` under: ``workflow/state/task``."""
    return f"{task.state.workflow.name}/{task.state.name}/{task.name}"


def workflow_agents(workflow: Workflow) -> list[Agent]:
    """One agent per task of `workflow`, for a `RemoteWorker` to serve."""
    workflow.validate()
    return [
        agent(
            alias=task_alias(task),
            description=f"task {task.place}",
            non_freezable_kwargs={"task": task},
            cache=False,
        )(_serve_task)
        for state in workflow.states.values()
        for task in state.tasks.values()
    ]


async def _serve_task(ctx: InteractionContext, *, task: Task) -> None:
    """Run `task` on the JSON input of the last message; reply its output's JSON."""
    from ..workflow.depends import DependencyScope
    from ..workflow.executor import call_local, check_output, task_input

    messages = list(await ctx.message_promises)
    text = messages[-1].text if messages else "{}"
    try:
        document = json.loads(text)
    except ValueError:
        raise RemoteRunError(f"{task.place}: the task input is not JSON") from None
    if not isinstance(document, dict):
        raise RemoteRunError(f"{task.place}: the task input is not a JSON object")
    scope = DependencyScope()
    try:
        output = check_output(task, await call_local(task, task_input(task, document), scope))
    finally:
        await scope.aclose()
    ctx.reply(AssistantMessage(text=output.model_dump_json(), agent_alias=ctx.this_agent.alias))


class RemoteTasks:
    """A `TaskPlacement` running tasks on the workers at a NATS server.

    Attributes:
        workers: which worker ran each task attempt, by the attempt's run id.
    """

    def __init__(
        self,
        url: str,
        tasks: Iterable[Task | str] | None = None,
        *,
        retries: int = 0,
        heartbeat_timeout: float = 3.0,
        accept_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.only = None if tasks is None else {_task_name(task) for task in tasks}
        self.retries = retries
        self.heartbeat_timeout = heartbeat_timeout
        self.accept_timeout = accept_timeout
        self.workers: dict[str, str] = {}
        self._agents: dict[str, Agent] = {}

    def executes(self, task: Task) -> bool:
        return self.only is None or f"{task.state.name}/{task.name}" in self.only

    async def execute(self, task: Task, value: BaseModel | None, run: Run) -> Any:
        alias = task_alias(task)
        remote = self._agents.get(alias)
        if remote is None:
            remote = self._agents[alias] = remote_agent(
                alias,
                nats=self.url,
                retries=self.retries,
                heartbeat_timeout=self.heartbeat_timeout,
                accept_timeout=self.accept_timeout,
            )
        # The attempt's own Run: the remote run id is its id, and it is not saved twice.
        call = AgentCall(remote, FrozenMapping(), errors_as_messages=False, run=run)
        call.send(UserMessage(text="{}" if value is None else value.model_dump_json()))
        text = None
        async for promise in call.reply_sequence():
            text = (await promise).text
            self.workers[run.id] = str(getattr(promise, "worker", None) or "?")
        if text is None:
            raise RemoteRunError(f"{task.place}: the worker replied nothing")
        from ..workflow.errors import TaskOutputMismatch

        try:
            return task.output_model.model_validate_json(text)
        except ValidationError as error:
            raise TaskOutputMismatch(
                f"{task.place}: the worker's output does not fit "
                f"{task.output_model.__name__} ({error.error_count()} errors); run the same "
                "workflow code on the workers"
            ) from None


def _task_name(task: Task | str) -> str:
    return task if isinstance(task, str) else f"{task.state.name}/{task.name}"


def remote_tasks(
    url: str,
    tasks: Iterable[Task | str] | None = None,
    *,
    retries: int = 0,
    heartbeat_timeout: float = 3.0,
    accept_timeout: float = 5.0,
) -> RemoteTasks:
    """Run a workflow's tasks on the workers at `url` (``run_workflow(..., tasks_on=...)``).

    Args:
        url: the NATS server, ``nats://host:4222``; workers serve ``FILE.py:WORKFLOW``.
        tasks: the tasks to send (`Task` objects or ``"state/task"``); None sends all, the
            others run in this process.
        retries, heartbeat_timeout, accept_timeout: as for `remote_agent`.
    """
    return RemoteTasks(
        url,
        tasks,
        retries=retries,
        heartbeat_timeout=heartbeat_timeout,
        accept_timeout=accept_timeout,
    )
