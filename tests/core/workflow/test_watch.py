"""Watching a run: task status events in order, and tokens a task streams (async or sync)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from ramify.core.workflow import (
    Depends,
    RetryPolicy,
    TaskEvent,
    TaskStatus,
    TaskTokens,
    TokenSink,
    Workflow,
    WorkflowTaskFailed,
    run_workflow,
    token_sink,
)


class Num(BaseModel):
    n: int = 0


class Text(BaseModel):
    text: str


def statuses(events: list[TaskEvent | TaskTokens]) -> list[tuple[str, str]]:
    return [(e.task, e.status.value) for e in events if isinstance(e, TaskEvent)]


async def test_watcher_sees_each_task_pending_waiting_running_done_in_order() -> None:
    wf = Workflow("order")
    first = wf.state("first")
    second = wf.state("second", final=True)

    @first.task()
    def a(x: Num) -> Num:
        return Num(n=x.n + 1)

    @first.task()
    def b(x: Num) -> Text:
        return Text(text=str(x.n))

    a >> b  # type: ignore[operator]

    @second.task()
    def c(x: Text) -> Num:
        return Num(n=len(x.text))

    first >> second
    events: list[TaskEvent | TaskTokens] = []
    result = await run_workflow(wf, Num(n=1), watcher=events.append)
    assert statuses(events) == [
        ("a", "pending"),
        ("b", "pending"),
        # a's run record is stored before a runs (in memory, without a turn of the event
        # loop); b starts waiting on it once a runs in its thread.
        ("a", "running"),
        ("b", "waiting"),
        ("a", "done"),
        ("b", "running"),
        ("b", "done"),
        ("c", "pending"),
        ("c", "running"),
        ("c", "done"),
    ]
    done = {e.task: e for e in events if isinstance(e, TaskEvent) and e.status is TaskStatus.DONE}
    # A done event names the task's output node and the run that wrote it.
    assert done["c"].node == result.nodes[("second", "c")].hash_key
    run_ids = {e.run_id for e in events if isinstance(e, TaskEvent) and e.task == "c"} - {None}
    assert run_ids == {done["c"].run_id}


async def test_tokens_from_async_and_sync_tasks_reach_the_watcher_tagged_with_their_task() -> None:
    wf = Workflow("tokens")
    only = wf.state("only", final=True)

    @only.task()
    async def talker(x: Num, tokens: TokenSink = Depends(token_sink)) -> Text:
        for word in ("hello", " there"):
            tokens.put(word)
            await asyncio.sleep(0)
        return Text(text="hello there")

    @only.task()
    def threaded(x: Num, tokens: TokenSink = Depends(token_sink)) -> Num:
        tokens.put("from a thread")
        return Num(n=x.n)

    events: list[TaskEvent | TaskTokens] = []
    await run_workflow(wf, Num(), watcher=events.append)
    await asyncio.sleep(0)  # a thread's token is delivered through the loop
    tokens = [e for e in events if isinstance(e, TaskTokens)]
    assert [t.text for t in tokens if t.task == "talker"] == ["hello", " there"]
    assert [t.text for t in tokens if t.task == "threaded"] == ["from a thread"]
    running = {
        e.task: e.run_id
        for e in events
        if isinstance(e, TaskEvent) and e.status is TaskStatus.RUNNING
    }
    assert all(t.run_id == running[t.task] for t in tokens)
    # Each token arrives while its task runs: after its running event, before its done event.
    talker_events = [e for e in events if e.task == "talker"]
    kinds = [e.status.value if isinstance(e, TaskEvent) else "token" for e in talker_events]
    assert kinds == ["pending", "running", "token", "token", "done"]


async def test_tokens_without_a_watcher_go_nowhere() -> None:
    wf = Workflow("quiet")
    only = wf.state("only", final=True)

    @only.task()
    def talker(x: Num, tokens: TokenSink = Depends(token_sink)) -> Num:
        tokens.put("nobody listens")
        return x

    result = await run_workflow(wf, Num(n=3))
    assert result.result == {"n": 3}
    token_sink().put("outside any run")  # no run, no error


async def test_a_task_that_fails_every_attempt_is_running_twice_then_failed() -> None:
    wf = Workflow("fails", retry=RetryPolicy(attempts=2))
    only = wf.state("only", final=True)

    @only.task()
    def broken(x: Num) -> Num:
        raise ValueError("no")

    events: list[TaskEvent | TaskTokens] = []
    with pytest.raises(WorkflowTaskFailed) as caught:
        await run_workflow(wf, Num(), watcher=events.append)
    assert statuses(events) == [
        ("broken", "pending"),
        ("broken", "running"),
        ("broken", "running"),
        ("broken", "failed"),
    ]
    failed = events[-1]
    assert isinstance(failed, TaskEvent)
    assert failed.error == "ValueError: no"
    assert caught.value.result is not None
    assert failed.node == caught.value.result.nodes[("only", "broken")].hash_key


async def test_cancel_marks_the_running_task_cancelled_after_the_finished_one_done() -> None:
    wf = Workflow("stop")
    only = wf.state("only", final=True)
    started = asyncio.Event()

    @only.task()
    def quick(x: Num) -> Num:
        return x

    @only.task()
    async def slow(x: Num) -> Text:
        started.set()
        await asyncio.Event().wait()
        return Text(text="never")

    events: list[TaskEvent | TaskTokens] = []
    quick_done = asyncio.Event()

    def watch(event: TaskEvent | TaskTokens) -> None:
        events.append(event)
        if isinstance(event, TaskEvent) and (event.task, event.status) == ("quick", "done"):
            quick_done.set()

    running = asyncio.create_task(run_workflow(wf, Num(), watcher=watch))
    await started.wait()
    await quick_done.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert statuses(events)[-1] == ("slow", "cancelled")
    slow_events = [e for e in events if isinstance(e, TaskEvent) and e.task == "slow"]
    # The cancel names the attempt's run, as its running event did.
    assert slow_events[-1].run_id is not None
    assert slow_events[-1].run_id == slow_events[-2].run_id


async def test_a_watcher_that_raises_does_not_stop_the_run() -> None:
    wf = Workflow("robust")
    only = wf.state("only", final=True)

    @only.task()
    def fine(x: Num) -> Num:
        return x

    def broken_watcher(event: TaskEvent | TaskTokens) -> None:
        raise RuntimeError("view bug")

    result = await run_workflow(wf, Num(n=2), watcher=broken_watcher)
    assert result.result == {"n": 2}
