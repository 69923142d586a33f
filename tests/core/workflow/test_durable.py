"""Durable workflows: resume from the tree without running finished tasks again, and rerun
one task and its downstream on a new branch, leaving the original untouched."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from pydantic import BaseModel

from ramify.core import MemoryStore, Session, SQLiteStore
from ramify.core.runs import RunStatus
from ramify.core.workflow import (
    TaskOutput,
    Workflow,
    WorkflowResumeError,
    WorkflowTaskFailed,
    rerun_task,
    resume_workflow,
    run_workflow,
)


class Num(BaseModel):
    n: int


class A(BaseModel):
    a: int


class B(BaseModel):
    b: int


class C(BaseModel):
    c: int


class E(BaseModel):
    e: int


class D(BaseModel):
    d: int


def chain(calls: Counter[str], gate: dict[str, asyncio.Event] | None = None) -> Workflow:
    """State s: a -> b -> c and a -> e (beside b); then final state t: d. `gate` holds b."""
    wf = Workflow("chain")
    s = wf.state("s")
    t = wf.state("t", final=True)

    @s.task()
    async def a(x: Num) -> A:
        calls["a"] += 1
        return A(a=x.n + 1)

    @s.task()
    async def b(x: A) -> B:
        calls["b"] += 1
        if gate is not None:
            gate["started"].set()
            await gate["release"].wait()
        # Each execution differs, so a rerun's output is visibly new.
        return B(b=x.a * 10 + calls["b"])

    @s.task()
    async def c(x: B) -> C:
        calls["c"] += 1
        return C(c=x.b + 1)

    @s.task()
    async def e(x: A) -> E:
        calls["e"] += 1
        return E(e=x.a * 100)

    a >> b >> c  # type: ignore[operator]
    a >> e  # type: ignore[operator]

    @t.task()
    async def d(x: C) -> D:
        calls["d"] += 1
        return D(d=x.c * 2)

    s >> t
    return wf


async def test_rerun_task_reruns_it_and_its_downstream_on_a_new_branch(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        first = await run_workflow(wf, Num(n=1), session=session, branch="original")
        original_head = (await store.get_ref(session.id, "original")).head  # type: ignore[union-attr]
        original_nodes = {key: node.hash_key for key, node in first.nodes.items()}
        assert dict(calls) == {"a": 1, "b": 1, "c": 1, "e": 1, "d": 1}

        again = await rerun_task(session, wf, first.nodes[("s", "b")], branch="try-2")

        assert again.branch == "try-2"
        assert again.run.id != first.run.id
        assert again.run.status is RunStatus.DONE
        # b and what follows it ran again; a (upstream) and e (beside b) did not.
        assert dict(calls) == {"a": 1, "b": 2, "c": 2, "e": 1, "d": 2}
        assert again.nodes[("s", "a")].hash_key == original_nodes[("s", "a")]
        assert again.nodes[("s", "e")].hash_key == original_nodes[("s", "e")]
        for key in (("s", "b"), ("s", "c"), ("t", "d")):
            assert again.nodes[key].hash_key != original_nodes[key]
        assert again.result == {"n": 1, "a": 2, "b": 22, "c": 23, "e": 200, "d": 46}
        # The new branch runs through the reused a and e (the state's node hangs under its
        # last sink, e) to the new d, and no original output of b, c or d is on it.
        path = [n.hash_key for n in await session.path("try-2")]
        assert original_nodes[("s", "a")] in path
        assert original_nodes[("s", "e")] in path
        assert again.nodes[("t", "d")].hash_key in path
        assert path[-1] == again.head.hash_key  # type: ignore[union-attr]
        assert not {original_nodes[key] for key in (("s", "b"), ("s", "c"), ("t", "d"))} & set(path)
        # The original branch and its outputs are as they were.
        assert (await store.get_ref(session.id, "original")).head == original_head  # type: ignore[union-attr]
        original_b = await session.message(original_nodes[("s", "b")])
        assert isinstance(original_b, TaskOutput)
        assert B.model_validate_json(original_b.text).b == 21


async def test_a_second_rerun_under_a_taken_name_gets_the_next_free_name(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        first = await run_workflow(wf, Num(n=1), session=session)
        one = await rerun_task(session, wf, first.nodes[("s", "c")], branch="again")
        two = await rerun_task(session, wf, first.nodes[("s", "c")], branch="again")
        assert (one.branch, two.branch) == ("again", "again-1")
        assert calls["c"] == 3
        assert calls["b"] == 1


async def test_resume_runs_only_what_did_not_finish(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    gate = {"started": asyncio.Event(), "release": asyncio.Event()}
    database = tmp_path / "wf.db"
    async with SQLiteStore(database) as store:
        session = await Session.create(store)
        running = asyncio.create_task(
            run_workflow(chain(calls, gate), Num(n=1), session=session, branch="wf")
        )
        await gate["started"].wait()
        # A second resume while it runs in a live process is refused.
        with pytest.raises(WorkflowResumeError, match="still running"):
            await resume_workflow(session, chain(calls), (await session.runs())[0].id)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        run = (await session.runs())[0]
        assert run.status is RunStatus.CANCELLED
        assert dict(calls) == {"a": 1, "b": 1, "e": 1}

    # Reopened from the file, as another process would.
    async with SQLiteStore(database) as store:
        session = await Session.open(store, session.id)
        result = await resume_workflow(session, chain(calls), run.id)
        assert result.run.id == run.id
        assert result.branch == "wf"
        assert result.run.status is RunStatus.DONE
        assert dict(calls) == {"a": 1, "b": 2, "e": 1, "c": 1, "d": 1}
        assert result.result == {"n": 1, "a": 2, "b": 22, "c": 23, "e": 200, "d": 46}
        assert (await session.head("wf")) == result.head
        # Resuming a finished run replays it without running anything.
        again = await resume_workflow(session, chain(calls), result.nodes[("t", "d")])
        assert again.result == result.result
        assert sum(calls.values()) == 6


async def test_resume_runs_a_failed_task_again(tmp_path: Path) -> None:
    failures = [RuntimeError("flaky")]
    calls: Counter[str] = Counter()
    wf = Workflow("flaky")
    s = wf.state("s")

    @s.task()
    def first(x: Num) -> A:
        calls["first"] += 1
        return A(a=x.n)

    @s.task()
    def second(x: A) -> B:
        calls["second"] += 1
        if failures:
            raise failures.pop()
        return B(b=x.a)

    first >> second  # type: ignore[operator]
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        with pytest.raises(WorkflowTaskFailed) as failed:
            await run_workflow(wf, Num(n=4), session=session)
        result = await resume_workflow(session, wf, failed.value.result.run)
        assert result.result == {"n": 4, "a": 4, "b": 4}
        assert dict(calls) == {"first": 1, "second": 2}


async def test_resume_refuses_another_workflow_and_unknown_runs(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        first = await run_workflow(chain(calls), Num(n=1), session=session)
        with pytest.raises(WorkflowResumeError, match="not 'other'"):
            await resume_workflow(session, Workflow("other"), first.run)
        with pytest.raises(WorkflowResumeError, match="no workflow run or node"):
            await resume_workflow(session, chain(calls), "f" * 64)
        with pytest.raises(WorkflowResumeError, match="not a task output"):
            await rerun_task(session, chain(calls), first.head)  # type: ignore[arg-type]


async def test_a_rerun_stopped_midway_resumes_on_its_own_branch(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        first = await run_workflow(chain(calls), Num(n=1), session=session, branch="original")
        gate = {"started": asyncio.Event(), "release": asyncio.Event()}
        rerun = asyncio.create_task(
            rerun_task(session, chain(calls, gate), first.nodes[("s", "b")], branch="try")
        )
        await gate["started"].wait()
        rerun.cancel()
        with pytest.raises(asyncio.CancelledError):
            await rerun
        stopped = [r for r in await session.runs() if r.status is RunStatus.CANCELLED]
        assert sorted(r.agent for r in stopped) == ["chain", "chain/s/b"]

        stopped_run = next(r for r in stopped if r.agent == "chain")
        result = await resume_workflow(session, chain(calls), stopped_run.id)
        # The rerun's own branch goes on; what it took over is taken over again, and b (the
        # task it reruns) runs: once in the original, once stopped, once now.
        assert result.branch == "try"
        assert dict(calls) == {"a": 1, "b": 3, "c": 2, "e": 1, "d": 2}
        assert result.nodes[("s", "a")] == first.nodes[("s", "a")]
        assert result.nodes[("s", "b")] != first.nodes[("s", "b")]
        assert (await session.head("try")) == result.head


async def test_resume_after_its_branch_was_deleted_makes_one_up_to_the_end(
    tmp_path: Path,
) -> None:
    calls: Counter[str] = Counter()
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        first = await run_workflow(chain(calls), Num(n=1), session=session, branch="gone")
        await session.delete_branch("gone")
        again = await resume_workflow(session, chain(calls), first.run.id)
        assert again.branch == "workflow-chain-1"
        assert sum(calls.values()) == 5
        # Made at the input node, it moved forward through the reused nodes to the end.
        assert (await session.head(again.branch)) == first.head


async def test_a_rerun_whose_output_comes_out_the_same_still_reruns_its_downstream(
    tmp_path: Path,
) -> None:
    calls: Counter[str] = Counter()
    wf = Workflow("same")
    s = wf.state("s")

    @s.task()
    def first(x: Num) -> A:
        calls["first"] += 1
        return A(a=x.n)

    @s.task()
    def second(x: A) -> B:
        calls["second"] += 1
        return B(b=x.a)

    @s.task()
    def third(x: B) -> C:
        calls["third"] += 1
        return C(c=x.b)

    first >> second >> third  # type: ignore[operator]
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        original = await run_workflow(wf, Num(n=3), session=session)
        again = await rerun_task(session, wf, original.nodes[("s", "second")], branch="same")
        # Equal outputs under equal parents are the same nodes (content addressing), yet
        # third, downstream of the rerun task, ran again rather than being taken over.
        assert dict(calls) == {"first": 1, "second": 2, "third": 2}
        assert again.nodes == original.nodes


async def test_async_durability_stores_every_record_by_the_end_of_the_run(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    database = tmp_path / "wf.db"
    async with SQLiteStore(database) as store:
        session = await Session.create(store)
        result = await run_workflow(
            chain(calls), Num(n=1), session=session, branch="wf", durability="async"
        )
        assert result.result == {"n": 1, "a": 2, "b": 21, "c": 22, "e": 200, "d": 44}
    # Reopened from the file: every task's output is a node, every task run done and naming
    # it, the branch at the run's last node.
    async with SQLiteStore(database) as store:
        session = await Session.open(store, session.id)
        tasks = {r.agent: r for r in await session.runs(parent_run_id=result.run.id)}
        for (state, task), node in result.nodes.items():
            run = tasks[f"chain/{state}/{task}"]
            assert run.status is RunStatus.DONE
            assert run.output_nodes == [node.hash_key]
            assert isinstance(await session.message(node.hash_key), TaskOutput)
        assert (await session.get_run(result.run.id)).status is RunStatus.DONE
        assert (await session.head("wf")) == result.head


async def test_a_failed_async_run_resumes_without_rerunning_its_finished_tasks(
    tmp_path: Path,
) -> None:
    failures = [RuntimeError("flaky")]
    calls: Counter[str] = Counter()
    wf = Workflow("flaky")
    s = wf.state("s", final=True)

    @s.task()
    async def first(x: Num) -> A:
        calls["first"] += 1
        return A(a=x.n)

    @s.task()
    async def second(x: A) -> B:
        calls["second"] += 1
        if failures:
            raise failures.pop()
        return B(b=x.a)

    first >> second  # type: ignore[operator]
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        with pytest.raises(WorkflowTaskFailed) as failed:
            await run_workflow(wf, Num(n=4), session=session, durability="async")
        result = await resume_workflow(session, wf, failed.value.result.run)
        assert result.result == {"n": 4, "a": 4, "b": 4}
        assert dict(calls) == {"first": 1, "second": 2}


async def test_an_unknown_durability_is_refused_before_anything_is_recorded() -> None:
    session = await Session.create(MemoryStore())
    with pytest.raises(ValueError, match="durability must be 'sync' or 'async'"):
        await run_workflow(
            chain(Counter()),
            Num(n=1),
            session=session,
            durability="eventually",  # type: ignore[arg-type]
        )
    assert await session.runs() == []
