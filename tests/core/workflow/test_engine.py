"""The workflow engine: push-based start, runs and nodes, joins, cancel, retry, limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import BaseModel

from ramify.core import MemoryStore, Session, SQLiteStore
from ramify.core.runs import RunStatus
from ramify.core.workflow import (
    RetryPolicy,
    StepLimitExceeded,
    TaskError,
    TaskOutput,
    Workflow,
    WorkflowTaskFailed,
    run_workflow,
)


class Num(BaseModel):
    n: int = 0


class B(BaseModel):
    b: int


class C(BaseModel):
    c: int


class BC(BaseModel):
    b: int
    c: int


class D(BaseModel):
    b: int
    c: int
    total: int


async def test_a_task_starts_when_its_own_inputs_are_ready() -> None:
    # a -> b (held until released) and a -> c -> e: e must finish while b still waits.
    release_b = asyncio.Event()
    e_done = asyncio.Event()
    b_done = asyncio.Event()
    wf = Workflow("eager")
    s = wf.state("s")

    @s.task()
    async def a(x: Num) -> Num:
        return Num(n=x.n + 1)

    @s.task()
    async def b(x: Num) -> B:
        await release_b.wait()
        b_done.set()
        return B(b=x.n)

    @s.task()
    async def c(x: Num) -> C:
        return C(c=x.n)

    @s.task()
    async def e(x: C) -> C:
        e_done.set()
        return C(c=x.c * 10)

    a >> [b, c]  # type: ignore[operator]
    c >> e  # type: ignore[operator]
    running = asyncio.create_task(run_workflow(wf, Num(n=1)))
    await e_done.wait()
    assert not b_done.is_set()
    release_b.set()
    result = await running
    # The state's node joins its sinks b and e: under the last defined, naming the other.
    state_node = result.head
    assert state_node is not None
    assert state_node.parent == result.nodes[("s", "e")].hash_key
    state_message = await result.session.message(state_node)
    assert state_message.joined == (result.nodes[("s", "b")].hash_key,)  # type: ignore[attr-defined]
    assert result.outputs[("s", "e")] == C(c=20)
    assert result.outputs[("s", "b")] == B(b=2)


def _diamond(c_value: int) -> Workflow:
    wf = Workflow("diamond")
    s = wf.state("s")

    @s.task()
    def a(x: Num) -> Num:  # sync: runs in a worker thread
        return Num(n=x.n)

    @s.task()
    async def b(x: Num) -> B:
        return B(b=x.n + 1)

    @s.task()
    async def c(x: Num) -> C:
        return C(c=c_value)

    @s.task(name="d")
    def d2(x: BC) -> D:
        return D(b=x.b, c=x.c, total=x.b + x.c)

    a >> [b, c]  # type: ignore[operator]
    [b, c] >> d2  # type: ignore[operator]
    return wf


async def test_runs_nodes_and_a_join_that_chains_over_all_inputs(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        result = await run_workflow(_diamond(5), Num(n=1), session=session)
        assert result.outputs[("s", "d")] == D(b=2, c=5, total=7)

        runs = await session.runs(parent_run_id=result.run.id)
        by_agent = {run.agent: run for run in runs}
        assert set(by_agent) == {
            "diamond/s/a",
            "diamond/s/b",
            "diamond/s/c",
            "diamond/s/d",
            "diamond/s",
        }
        assert all(run.status is RunStatus.DONE for run in runs)
        assert (await session.get_run(result.run.id)).status is RunStatus.DONE

        nodes = result.nodes
        for name in "abcd":
            node = nodes[("s", name)]
            assert by_agent[f"diamond/s/{name}"].output_nodes == [node.hash_key]
            message = await session.message(node)
            assert isinstance(message, TaskOutput)
            assert message.task == name
        d_node = nodes[("s", "d")]
        d_message = await session.message(d_node)
        assert isinstance(d_message, TaskOutput)
        # The join hangs under its first input and names the other in its message.
        assert d_node.parent == nodes[("s", "b")].hash_key
        assert d_message.joined == (nodes[("s", "c")].hash_key,)
        # The branch ends at the state's result, a join of all the state's outputs.
        head = await session.head(result.branch)
        assert head is not None
        assert head == result.head
        assert head.parent == d_node.hash_key  # d is the only sink

    # The join's hash covers its other input: change only c, and d's node differs.
    other = await run_workflow(_diamond(6), Num(n=1))
    assert other.nodes[("s", "b")].hash_key == nodes[("s", "b")].hash_key
    assert other.nodes[("s", "d")].hash_key != d_node.hash_key


async def test_cancel_stops_everything_and_keeps_finished_outputs() -> None:
    b_started = asyncio.Event()
    wf = Workflow("cancel")
    s = wf.state("s")

    @s.task()
    async def a(x: Num) -> Num:
        return x

    @s.task()
    async def b(x: Num) -> Num:
        b_started.set()
        await asyncio.Event().wait()
        return x

    @s.task()
    async def after_b(x: Num) -> Num:
        return x

    a >> b >> after_b  # type: ignore[operator]
    session = await Session.create(MemoryStore())
    running = asyncio.create_task(run_workflow(wf, Num(n=3), session=session))
    await b_started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    (top,) = [run for run in await session.runs() if run.parent_run_id is None]
    assert top.status is RunStatus.CANCELLED
    children = {run.agent: run for run in await session.runs(parent_run_id=top.id)}
    assert children["cancel/s/a"].status is RunStatus.DONE
    assert children["cancel/s/b"].status is RunStatus.CANCELLED
    assert "cancel/s/after_b" not in children
    a_node = children["cancel/s/a"].output_nodes[0]
    assert top.output_nodes == [a_node]
    head = await session.head("workflow-cancel-1")
    assert head is not None
    assert head.hash_key == a_node
    assert (await session.message(head)).text == '{"n":3}'


async def test_retry_then_fail_with_the_error_node_in_place() -> None:
    calls = {"flaky": 0, "broken": 0}
    wf = Workflow("retry", retry=RetryPolicy(attempts=3))
    s = wf.state("s")

    @s.task()
    def flaky(x: Num) -> Num:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise ConnectionError("try again")
        return x

    @s.task(retry=RetryPolicy(attempts=2))
    def broken(x: Num) -> Num:
        calls["broken"] += 1
        raise ValueError("bad input")

    flaky >> broken  # type: ignore[operator]
    with pytest.raises(
        WorkflowTaskFailed, match=r"workflow 'retry', state 's', task 'broken'"
    ) as caught:
        await run_workflow(wf, Num())
    assert calls == {"flaky": 3, "broken": 2}
    assert "after 2 attempts: ValueError: bad input" in str(caught.value)
    result = caught.value.result
    session = result.session
    runs = await session.runs(parent_run_id=result.run.id)
    statuses = [(run.agent, run.status) for run in runs]
    assert statuses.count(("retry/s/flaky", RunStatus.ERROR)) == 2
    assert statuses.count(("retry/s/flaky", RunStatus.DONE)) == 1
    assert statuses.count(("retry/s/broken", RunStatus.ERROR)) == 2
    assert (await session.get_run(result.run.id)).status is RunStatus.ERROR
    error_node = result.nodes[("s", "broken")]
    assert error_node.parent == result.nodes[("s", "flaky")].hash_key
    message = await session.message(error_node)
    assert isinstance(message, TaskError)
    assert (message.state, message.task, message.error_type) == ("s", "broken", "ValueError")
    head = await session.head(result.branch)
    assert head is not None
    assert head.hash_key == error_node.hash_key


async def test_output_not_matching_its_model_names_the_task() -> None:
    wf = Workflow("typed")
    s = wf.state("s")

    @s.task()
    def liar(x: Num) -> B:
        return C(c=1)  # type: ignore[return-value]

    with pytest.raises(
        WorkflowTaskFailed,
        match=r"workflow 'typed', state 's', task 'liar'.*returned C, expected B",
    ):
        await run_workflow(wf, Num())


async def test_step_limit_stops_a_machine_that_never_ends() -> None:
    wf = Workflow("forever")
    loop = wf.state("loop")

    @loop.task()
    def tick(x: Num) -> Num:
        return Num(n=x.n + 1)

    loop >> loop
    with pytest.raises(
        StepLimitExceeded, match=r"workflow 'forever', state 'loop'.*after 5 states"
    ) as caught:
        await run_workflow(wf, Num(), step_limit=5)
    assert caught.value.result.result == {"n": 5}
    assert caught.value.result.states == ["loop"] * 5


async def test_a_condition_that_raises_names_workflow_state_and_condition() -> None:
    wf = Workflow("cond")
    s = wf.state("s")
    done = wf.state("done", final=True)

    @s.task()
    def t(x: Num) -> Num:
        return x

    @done.task()
    def u(x: Num) -> Num:
        return x

    @s.condition()
    def fussy(result: Num) -> bool:
        raise KeyError("missing")

    (s & fussy) >> done
    with pytest.raises(WorkflowTaskFailed, match=r"workflow 'cond', state 's', condition 'fussy'"):
        await run_workflow(wf, Num())


async def test_an_input_that_does_not_fit_names_the_task_and_the_field() -> None:
    wf = Workflow("fit")
    s = wf.state("s")

    @s.task()
    def needs_b(x: B) -> B:
        return x

    with pytest.raises(
        WorkflowTaskFailed, match=r"task 'needs_b'.*input does not fit B: b: Field required"
    ) as caught:
        await run_workflow(wf, {"n": 1})
    error_node = caught.value.result.nodes[("s", "needs_b")]
    message = await caught.value.result.session.message(error_node)
    assert isinstance(message, TaskError)
    assert message.error_type == "TaskInputMismatch"
