"""Durable workflow runs: continue one a dead process left behind, rerun one task on a branch.

A run leaves its outputs in the tree as it goes (see `records`), and each task execution's
`Run` lists the node it wrote. That is all the state a run has, so nothing else is saved:

- `resume_workflow(session, wf, run)` replays the state machine from the run's input node
  as the same `Run`, taking over every output its task runs recorded; only tasks with no
  recorded output (the one a kill interrupted, a failed one, those after) run. The run's
  branch (found from the reflog, or from its head) goes on from where it stood.
- `rerun_task(session, wf, node, branch=)` runs the task that wrote `node` again, and with it
  everything downstream, as a new `Run` on a new branch; every other output of the original
  run is taken over, and the original branch and nodes are left as they were (LangGraph's
  time travel, with named branches). The outputs it took over are listed on a child run
  (agent ``WORKFLOW/(reused)``), so resuming the rerun takes them over again.

Conditions are evaluated again on the recorded results, so they should be pure functions of
them. A run waiting at a task's breakpoint is continued by answering it
(`breakpoints.answer_task_breakpoint`); `resume_workflow` says so rather than go past it.
The definition is the caller's to load: `WorkflowInput.source` names the file and
object it came from (`workflow_runs` lists it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import NotFound, StoreError
from ..recording import mark_interrupted_runs, this_process
from ..runs import Run, RunStatus
from ..session import Session
from ..store.base import Store
from ..tree import Node
from .breakpoints import waiting_interrupt
from .dsl import Workflow
from .engine import DEFAULT_STEP_LIMIT, Progress, WorkflowResult, continue_workflow
from .errors import WorkflowResumeError, where
from .executor import TaskPlacement
from .nested import nested_agents
from .records import StateOutput, TaskError, TaskOutput, WorkflowInput
from .watch import WorkflowWatcher

__all__ = [
    "WorkflowRunInfo",
    "continue_recorded",
    "find_workflow_run",
    "rerun_task",
    "resume_workflow",
    "workflow_runs",
]

REUSED = "(reused)"
"""The last part of the agent name of the run that lists what a rerun took over."""


@dataclass(frozen=True, slots=True)
class WorkflowRunInfo:
    """A workflow run found in a store: its record and what its input node says."""

    run: Run
    workflow: str
    source: str


async def workflow_runs(store: Store) -> list[WorkflowRunInfo]:
    """Every workflow run in `store` (the top-level runs that start at a `WorkflowInput`),
    oldest first."""
    found = []
    for run in await store.list_runs():
        if run.parent_run_id is not None or run.input_node is None:
            continue
        message = await _input_message(store, run.input_node)
        if message is not None and message.workflow == run.agent:
            found.append(WorkflowRunInfo(run, message.workflow, message.source))
    return found


async def find_workflow_run(session: Session, key: Run | Node | str) -> Run:
    """The workflow run named by a `Run`, a run id, or a node (hash) it or a task of it wrote.

    Raises `WorkflowResumeError` when there is none.
    """
    run: Run | None = key if isinstance(key, Run) else None
    if isinstance(key, str):
        try:
            run = await session.get_run(key)
        except NotFound:
            run = None
    if run is None:
        try:
            node = await session.resolve(key) if not isinstance(key, Run) else None
        except (StoreError, LookupError):
            node = None
        if node is None or node.run_id is None:
            raise WorkflowResumeError(f"no workflow run or node {_short(key)} in this session")
        run = await session.get_run(node.run_id)
    while run.parent_run_id is not None:
        run = await session.get_run(run.parent_run_id)
    if run.input_node is None or await _input_message(session.store, run.input_node) is None:
        raise WorkflowResumeError(f"run {run.id[:12]} ({run.agent}) is not a workflow run")
    return run


async def resume_workflow(
    session: Session,
    workflow: Workflow,
    run: Run | Node | str,
    *,
    step_limit: int = DEFAULT_STEP_LIMIT,
    progress: Progress | None = None,
    tasks_on: TaskPlacement | None = None,
    watcher: WorkflowWatcher | None = None,
) -> WorkflowResult:
    """Continue `run` (a `Run`, its id, or a node it wrote) from what it recorded.

    Finished tasks are not run again (a `watcher` sees them done at once, with their recorded
    outputs). A finished run replays to the same result without
    running anything; a failed one runs its failed task again. Raises `WorkflowResumeError`
    when the run is still going in a live process or belongs to another workflow, and
    otherwise as `run_workflow` does.
    """
    # A run whose process died since this session was opened still reads "running".
    await mark_interrupted_runs(session)
    record = await find_workflow_run(session, run)
    await _check_workflow(session, workflow, record)
    if record.status is RunStatus.RUNNING:
        raise WorkflowResumeError(
            f"{where(workflow.name)}: run {record.id[:12]} is still running (process "
            f"{record.pid} on {record.host}); resume it once that process has ended"
        )
    waiting = await waiting_interrupt(session, record)
    if waiting is not None:
        node, message = waiting
        raise WorkflowResumeError(
            f"{where(workflow.name)}: run {record.id[:12]} waits at the breakpoint "
            f"{message.point} task {message.target} (node {node.hash_key[:12]}); answer it "
            f"first: `ramify workflow resume {record.id[:12]} --continue` (--edit JSON to "
            "change it), w in the IDE, or answer_task_breakpoint(session, workflow, node)"
        )
    return await continue_recorded(
        session,
        workflow,
        record,
        step_limit=step_limit,
        progress=progress,
        tasks_on=tasks_on,
        watcher=watcher,
    )


async def continue_recorded(
    session: Session,
    workflow: Workflow,
    record: Run,
    *,
    step_limit: int = DEFAULT_STEP_LIMIT,
    progress: Progress | None = None,
    tasks_on: TaskPlacement | None = None,
    watcher: WorkflowWatcher | None = None,
) -> WorkflowResult:
    """Continue the workflow run `record` on its branch, taking over what it recorded."""
    branch = await _run_branch(session, record)
    if branch is None:
        branch = await session.free_branch_name(f"workflow-{workflow.name}")
    return await continue_workflow(
        workflow,
        session,
        record,
        branch=branch,
        reusable=await _reusable(session, record, nested_agents(workflow)),
        step_limit=step_limit,
        progress=progress,
        tasks_on=tasks_on,
        watcher=watcher,
    )


async def rerun_task(
    session: Session,
    workflow: Workflow,
    node: Node | str,
    *,
    branch: str | None = None,
    step_limit: int = DEFAULT_STEP_LIMIT,
    progress: Progress | None = None,
    tasks_on: TaskPlacement | None = None,
) -> WorkflowResult:
    """Run the task that wrote `node` (a `TaskOutput` or `TaskError`) again, and everything
    downstream of it, as a new run on a new branch.

    The branch is `branch` (its next free ``branch-N`` when taken), ``rerun-N`` when None.
    Every other output of the original run is taken over, not run again.
    """
    await mark_interrupted_runs(session)
    try:
        target = await session.resolve(node)
        message = await session.message(target)
    except (StoreError, LookupError):
        raise WorkflowResumeError(f"no node {_short(node)} in this session") from None
    if not isinstance(message, TaskOutput | TaskError) or message.workflow != workflow.name:
        raise WorkflowResumeError(
            f"node {target.hash_key[:12]} is not a task output of {where(workflow.name)}; "
            "pick the output node of the task to rerun"
        )
    original = await find_workflow_run(session, target)
    recorded = await _reusable(session, original, nested_agents(workflow))
    rerun = await _downstream(session, target.hash_key, recorded)
    # A nested task that runs again runs its inner machine again too: what its earlier
    # attempts recorded inside (their descendant runs' outputs) is not taken over.
    taken_over = recorded - rerun - await _inner_outputs(session, original, rerun)
    taken = {ref.name for ref in await session.branches()}
    name = branch or "rerun"
    if branch is None or name in taken:
        name = await session.free_branch_name(name)
    pid, host = this_process()
    run = Run(
        agent=workflow.name,
        session_id=session.id,
        input_node=original.input_node,
        pid=pid,
        host=host,
    )
    await session.save_run(run)
    now = time.time()
    await session.save_run(
        Run(
            agent=f"{workflow.name}/{REUSED}",
            session_id=session.id,
            parent_run_id=run.id,
            fingerprint=f"taken over from run {original.id}",
            input_node=original.input_node,
            status=RunStatus.DONE,
            started_at=now,
            ended_at=now,
            output_nodes=sorted(taken_over),
            pid=pid,
            host=host,
        )
    )
    return await continue_workflow(
        workflow,
        session,
        run,
        branch=name,
        reusable=frozenset(taken_over),
        step_limit=step_limit,
        progress=progress,
        tasks_on=tasks_on,
    )


async def _reusable(
    session: Session, run: Run, nested: frozenset[str] = frozenset()
) -> frozenset[str]:
    """The outputs `run` recorded (or took over): its finished child runs' nodes, and inside
    the runs of nested tasks (agents in `nested`, any status: a killed attempt's finished
    inner tasks count), their finished child runs' nodes, at any depth."""
    found: set[str] = set()
    for child in await session.runs(parent_run_id=run.id):
        if child.status is RunStatus.DONE:
            found.update(child.output_nodes)
        if child.agent in nested:
            found |= await _reusable(session, child, nested)
    return frozenset(found)


async def _inner_outputs(session: Session, run: Run, nodes: set[str]) -> set[str]:
    """What the tasks that wrote `nodes` recorded inside, in any attempt or execution of them
    under `run`: the outputs of their runs' descendant runs."""
    writers = {(await session.store.get_node(key)).run_id for key in nodes}
    children = await session.runs(parent_run_id=run.id)
    agents = {child.agent for child in children if child.id in writers}
    found: set[str] = set()
    todo = [child.id for child in children if child.agent in agents]
    while todo:
        for inner in await session.runs(parent_run_id=todo.pop()):
            found.update(inner.output_nodes)
            todo.append(inner.id)
    return found


async def _downstream(session: Session, start: str, nodes: frozenset[str]) -> set[str]:
    """`start` and the `nodes` that took its output, directly or not: as parent or join.

    They must run again even where the rerun's output comes out the same: a node's hash is its
    message under its parent, so an equal output would be the very same node, and without
    this its downstream would be found and reused rather than rerun.
    """
    takers: dict[str, list[str]] = {}
    stored = {key: await session.store.get_node(key) for key in nodes}
    messages = await session.messages_by_hash([node.message for node in stored.values()])
    for key, node in stored.items():
        message = messages.get(node.message)
        joined = message.joined if isinstance(message, TaskOutput | StateOutput) else ()
        for source in (node.parent, *joined):
            if source is not None:
                takers.setdefault(source, []).append(key)
    found = {start}
    todo = [start]
    while todo:
        for taker in takers.get(todo.pop(), ()):
            if taker not in found:
                found.add(taker)
                todo.append(taker)
    return found


async def _run_branch(session: Session, run: Run) -> str | None:
    """The branch `run` moved last (from the reflog), else one whose head it wrote."""
    refs = {ref.name: ref for ref in await session.branches()}
    moves = [
        entry
        for entry in await session.reflog()
        if entry.reason == f"workflow run {run.id}" and entry.name in refs
    ]
    if moves:
        return max(moves, key=lambda entry: entry.at).name
    # A run killed in its first state moved nothing yet: its branch still ends at its input.
    own = {run.id} | {child.id for child in await session.runs(parent_run_id=run.id)}
    for name, ref in refs.items():
        if (await session.resolve(ref.head)).run_id in own:
            return name
    return None


async def _check_workflow(session: Session, workflow: Workflow, run: Run) -> None:
    assert run.input_node is not None
    message = await _input_message(session.store, run.input_node)
    if message is None or message.workflow != workflow.name:
        recorded = "?" if message is None else message.workflow
        raise WorkflowResumeError(
            f"run {run.id[:12]} is a run of workflow {recorded!r}, not {workflow.name!r}"
        )


async def _input_message(store: Store, node_hash: str) -> WorkflowInput | None:
    try:
        node = await store.get_node(node_hash)
        message = await store.get_message(node.message)
    except NotFound:
        return None
    return message if isinstance(message, WorkflowInput) else None


def _short(key: object) -> str:
    text = key.hash_key if isinstance(key, Node) else str(key)
    return repr(text[:12] if len(text) > 12 else text)
