"""Breakpoints on workflow tasks: a run stops before or after a task, waits in the tree (and
across a restart), and goes on from the tree when answered, with an edit or without."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
from pydantic import BaseModel

from ramify.core import Session, SQLiteStore
from ramify.core.runs import RunStatus
from ramify.core.store.location import resolve_database_path
from ramify.core.tools import (
    InterruptAnswer,
    InterruptMessage,
    answer_interrupt,
    interrupt_settings,
    pending_interrupts,
)
from ramify.core.tools.interrupts import TASK_KEY_PREFIX
from ramify.core.workflow import (
    TaskStatus,
    Workflow,
    WorkflowResumeError,
    WorkflowTaskFailed,
    WorkflowWaiting,
    answer_task_breakpoint,
    resume_workflow,
    run_workflow,
)
from ramify.core.workflow.breakpoints import KEY_PREFIX
from ramify.tui.cli import main


class Num(BaseModel):
    n: int


class A(BaseModel):
    a: int


class B(BaseModel):
    b: int


class C(BaseModel):
    c: int


def chain(calls: Counter[str]) -> Workflow:
    """One final state: a -> b -> c."""
    wf = Workflow("bp")
    s = wf.state("s", final=True)

    @s.task()
    async def a(x: Num) -> A:
        calls["a"] += 1
        return A(a=x.n + 1)

    @s.task()
    async def b(x: A) -> B:
        calls["b"] += 1
        return B(b=x.a * 10)

    @s.task()
    async def c(x: B) -> C:
        calls["c"] += 1
        return C(c=x.b + 1)

    a >> b >> c  # type: ignore[operator]
    return wf


async def _stop(
    session: Session, wf: Workflow, point: str, pattern: str, kind: str = "task"
) -> tuple[str, InterruptMessage]:
    interrupt_settings(session).add_breakpoint(point, pattern, kind)
    with pytest.raises(WorkflowWaiting) as raised:
        await run_workflow(wf, Num(n=1), session=session, branch="main")
    assert raised.value.result is not None
    assert raised.value.result.run.status is RunStatus.WAITING
    [(node, message)] = await pending_interrupts(session)
    assert node == raised.value.node.hash_key
    return node, message


async def test_before_a_task_the_run_waits_then_continues_without_running_done_tasks_again(
    tmp_path: Path,
) -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        node, message = await _stop(session, wf, "before", "b")
        assert (message.point, message.target) == ("before", "bp/s/b")
        assert json.loads(message.pending or "") == {"a": 2}
        assert dict(calls) == {"a": 1}
        # The interrupt hangs under a's output, the node b reads, and the branch shows it.
        stopped = await session.resolve(node)
        assert (await session.message(stopped.parent or "")).text == '{"a":2}'
        assert (await store.get_ref(session.id, "main")).head == node  # type: ignore[union-attr]

        result = await answer_task_breakpoint(session, wf, node)
        assert result.result == {"n": 1, "a": 2, "b": 20, "c": 21}
        assert dict(calls) == {"a": 1, "b": 1, "c": 1}
        assert result.run.status is RunStatus.DONE
        assert await pending_interrupts(session) == []
        [answer] = await session.messages(await store.children(node))
        assert isinstance(answer, InterruptAnswer)
        assert answer.decision == "continue"


async def test_an_edited_input_replaces_what_the_task_reads(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        node, _ = await _stop(session, wf, "before", "bp/s/b")  # the full name matches too
        result = await answer_task_breakpoint(session, wf, node, edited='{"a": 5}')
        assert (result.result["b"], result.result["c"]) == (50, 51)
        assert dict(calls) == {"a": 1, "b": 1, "c": 1}


async def test_after_a_task_an_edited_output_is_what_downstream_reads(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        node, message = await _stop(session, wf, "after", "b*")
        assert json.loads(message.pending or "") == {"b": 20}
        assert dict(calls) == {"a": 1, "b": 1}
        result = await answer_task_breakpoint(session, wf, node, edited='{"b": 7}')
        assert (result.result["b"], result.result["c"]) == (7, 8)
        assert dict(calls) == {"a": 1, "b": 1, "c": 1}
        # The original output stays in the tree beside the edited one.
        original = (await session.resolve(node)).parent
        assert original is not None
        assert (await session.message(original)).text == '{"b":20}'


async def test_a_bad_edit_is_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    wf = chain(calls)
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        node, _ = await _stop(session, wf, "after", "b")
        with pytest.raises(ValueError, match="answer_task_breakpoint"):
            await answer_interrupt(session, node, "continue", agent=None)
        assert KEY_PREFIX == TASK_KEY_PREFIX
        for bad in ('{"b": "many"}', "[1, 2]", "not json"):
            with pytest.raises(ValueError, match="nothing was changed"):
                await answer_task_breakpoint(session, wf, node, edited=bad)
        assert await store.children(node) == []
        assert [found for found, _ in await pending_interrupts(session)] == [node]
        result = await answer_task_breakpoint(session, wf, node, edited='{"b": 3}')
        assert result.result["c"] == 4


async def test_a_waiting_run_survives_a_restart_and_is_answered_from_a_new_session(
    tmp_path: Path,
) -> None:
    calls: Counter[str] = Counter()
    database = tmp_path / "wf.db"
    async with SQLiteStore(database) as store:
        session = await Session.create(store)
        await _stop(session, chain(calls), "before", "c")
    calls.clear()
    wf = chain(calls)  # a new definition, as a new process loads it
    async with SQLiteStore(database) as store:
        session = await Session.open(store, session.id)
        [(node, message)] = await pending_interrupts(session)
        assert message.target == "bp/s/c"
        with pytest.raises(WorkflowResumeError, match="waits at the breakpoint before task"):
            await resume_workflow(session, wf, node)
        result = await answer_task_breakpoint(session, wf, node)
        assert result.result["c"] == 21
        assert dict(calls) == {"c": 1}
        with pytest.raises(ValueError, match="answered already"):
            await answer_task_breakpoint(session, wf, node)


async def test_parallel_stops_are_answered_one_after_the_other(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    wf = Workflow("pair")
    s = wf.state("s", final=True)

    @s.task()
    async def left(x: Num) -> A:
        calls["left"] += 1
        return A(a=x.n)

    @s.task()
    async def right(x: Num) -> B:
        calls["right"] += 1
        return B(b=x.n)

    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        interrupt_settings(session).add_breakpoint("after", "*", "task")
        with pytest.raises(WorkflowWaiting) as raised:
            await run_workflow(wf, Num(n=1), session=session)
        first = raised.value.node.hash_key
        with pytest.raises(WorkflowWaiting) as again:
            await answer_task_breakpoint(session, wf, first)
        second = again.value.node.hash_key
        assert second != first
        result = await answer_task_breakpoint(session, wf, second)
        assert result.result == {"n": 1, "a": 1, "b": 1}
        assert dict(calls) == {"left": 1, "right": 1}


async def test_the_watcher_sees_the_stopped_task_waiting_at_its_interrupt() -> None:
    calls: Counter[str] = Counter()
    events: list[tuple[str, TaskStatus, str | None]] = []
    async with SQLiteStore(resolve_database_path()) as store:
        session = await Session.create(store)
        interrupt_settings(session).add_breakpoint("before", "b", "any")
        with pytest.raises(WorkflowWaiting) as raised:
            await run_workflow(
                chain(calls),
                Num(n=1),
                session=session,
                watcher=lambda event: events.append((event.task, event.status, event.node)),
            )
    assert ("b", TaskStatus.WAITING, raised.value.node.hash_key) in events
    assert not any(task == "c" and status is TaskStatus.RUNNING for task, status, _ in events)


def test_runs_waiting_lists_a_workflow_stopped_at_a_breakpoint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def stop() -> str:
        async with SQLiteStore(resolve_database_path()) as store:
            session = await Session.create(store)
            node, _ = await _stop(session, chain(Counter()), "before", "c")
            return node

    node = asyncio.run(stop())
    assert main(["runs", "--waiting"]) == 0
    [line] = capsys.readouterr().out.strip().split("\n")[1:]
    assert line.split()[4:6] == ["waiting", "bp"]
    assert f"waits at {node[:12]}: Breakpoint before task bp/s/c" in line


async def test_a_nested_workflow_s_tasks_are_not_stopped_inside_it(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    outer = Workflow("outer")
    only = outer.state("only", final=True)
    only.subworkflow(chain(calls), name="inner")
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        interrupt_settings(session).add_breakpoint("before", "b", "task")
        result = await run_workflow(outer, Num(n=1), session=session)
        assert result.run.status is RunStatus.DONE
        assert dict(calls) == {"a": 1, "b": 1, "c": 1}


async def test_a_task_whose_input_does_not_fit_fails_as_usual_rather_than_stop(
    tmp_path: Path,
) -> None:
    wf = Workflow("misfit")
    s = wf.state("s", final=True)

    @s.task()
    async def needs(x: A) -> B:
        return B(b=x.a)

    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        interrupt_settings(session).add_breakpoint("before", "needs", "task")
        with pytest.raises(WorkflowTaskFailed, match="does not fit A"):
            await run_workflow(wf, Num(n=1), session=session)
        assert await pending_interrupts(session) == []
