"""A workflow run in a session file: export and import give back its nodes, typed messages
and runs (the workflow's and every task's), and exporting again gives the same file."""

from __future__ import annotations

from pydantic import BaseModel

from ramify.core import MemoryStore, Session
from ramify.core.runs import RunStatus
from ramify.core.sessionfile import export_markdown, import_markdown
from ramify.core.workflow import StateOutput, TaskOutput, Workflow, WorkflowInput, run_workflow


class Num(BaseModel):
    n: int = 0


class Doubled(BaseModel):
    doubled: int


class Total(BaseModel):
    total: int


def build() -> Workflow:
    wf = Workflow("sums")
    only = wf.state("only", final=True)

    @only.task()
    def double(x: Num) -> Doubled:
        return Doubled(doubled=x.n * 2)

    @only.task()
    def add(x: Doubled) -> Total:
        return Total(total=x.doubled + 1)

    double >> add  # type: ignore[operator]
    return wf


async def test_a_workflow_run_round_trips_through_a_session_file() -> None:
    session = await Session.create(MemoryStore(), title="workflow")
    result = await run_workflow(build(), Num(n=4), session=session)
    text = await export_markdown(session, "tree")
    assert "sums" in text

    opened = await import_markdown(MemoryStore(), text)
    before = await session.path_messages(result.branch)
    after = await opened.path_messages(result.branch)
    assert [node.hash_key for node, _ in after] == [node.hash_key for node, _ in before]
    messages = [message for _, message in after]
    assert [type(message) for message in messages] == [
        WorkflowInput,
        TaskOutput,
        TaskOutput,
        StateOutput,
    ]
    assert [m.task for m in messages if isinstance(m, TaskOutput)] == ["double", "add"]
    assert messages[-1].text == '{"n": 4, "doubled": 8, "total": 9}'
    # The runs come back too: the workflow's, and each task's under it.
    runs = {run.agent: run for run in await opened.runs()}
    assert runs["sums"].status is RunStatus.DONE
    assert runs["sums/only/add"].parent_run_id == runs["sums"].id
    assert runs["sums/only/add"].output_nodes == [result.nodes[("only", "add")].hash_key]
    assert await export_markdown(opened, "tree") == text


async def test_an_exported_workflow_run_names_each_tasks_state_and_task() -> None:
    session = await Session.create(MemoryStore(), title="workflow")
    await run_workflow(build(), Num(n=1), session=session)
    text = await export_markdown(session, "path", "workflow-sums-1")
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    parts = [heading.split("</a>")[1].split(" · ") for heading in headings]
    assert len(parts[0]) == 2  # the input: sender and time
    assert [part[:2] for part in parts[1:]] == [
        ["sums", "only/double"],
        ["sums", "only/add"],
        ["sums", "only"],
    ]
