"""Nested machines: a state's task holding a sub-workflow or an agent network."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel

from ramify.core import Session, SQLiteStore
from ramify.core.net import Actor, NetMessage, NetResult, Network
from ramify.core.runs import RunStatus
from ramify.core.tree import USER
from ramify.core.workflow import (
    Depends,
    RetryPolicy,
    TaskError,
    TaskEvent,
    TaskOutput,
    TaskTokens,
    TokenSink,
    Workflow,
    WorkflowDefinitionError,
    WorkflowRegistry,
    WorkflowTaskFailed,
    rerun_task,
    resume_workflow,
    run_workflow,
    token_sink,
)


class Num(BaseModel):
    n: int


class Doubled(BaseModel):
    doubled: int


class Squared(BaseModel):
    squared: int


class Total(BaseModel):
    total: int


class Gate:
    """Holds an inner task until released, and says when it got there."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()


def inner_workflow(
    calls: Counter[str], *, gate: Gate | None = None, fail: list[Exception] | None = None
) -> Workflow:
    """double -> square (held by `gate`, raising what `fail` holds), one final state."""
    wf = Workflow("inner")
    s = wf.state("s", final=True)

    @s.task()
    async def double(x: Num, tokens: TokenSink = Depends(token_sink)) -> Doubled:
        calls["double"] += 1
        tokens.put("dou")
        tokens.put("bled")
        return Doubled(doubled=x.n * 2)

    @s.task()
    async def square(x: Doubled) -> Squared:
        calls["square"] += 1
        if gate is not None:
            gate.started.set()
            await gate.release.wait()
        if fail:
            raise fail.pop()
        return Squared(squared=x.doubled**2)

    double >> square  # type: ignore[operator]
    return wf


def outer_workflow(
    calls: Counter[str], inner: Workflow, *, retry: RetryPolicy | None = None
) -> Workflow:
    """start -> nest (the inner workflow) -> finish, in one final state."""
    wf = Workflow("outer")
    s = wf.state("s", final=True)

    @s.task()
    async def start(x: Num) -> Num:
        calls["start"] += 1
        return Num(n=x.n + 1)

    nest = s.subworkflow(inner, name="nest", retry=retry)

    @s.task()
    async def finish(x: Squared) -> Total:
        calls["finish"] += 1
        return Total(total=x.squared + 1)

    start >> nest >> finish  # type: ignore[operator]
    return wf


async def test_inner_outputs_are_nodes_under_the_nested_task_and_their_runs_its_children(
    tmp_path: Path,
) -> None:
    calls: Counter[str] = Counter()
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        result = await run_workflow(
            outer_workflow(calls, inner_workflow(calls)), Num(n=1), session=session
        )
        # The nested task's typed output (the inner result read into Squared) fed `finish`.
        assert result.outputs[("s", "nest")] == Squared(squared=16)
        assert result.result == {"n": 2, "squared": 16, "total": 17}
        runs = {run.agent: run for run in await session.runs()}
        nest_run = runs["outer/s/nest"]
        assert nest_run.parent_run_id == runs["outer"].id
        for agent in ("inner/s/double", "inner/s/square", "inner/s"):
            assert runs[agent].parent_run_id == nest_run.id
            assert runs[agent].status is RunStatus.DONE
        # Inner nodes hang under the nested task's input node (start's output), below an
        # inner WorkflowInput written by the nested run.
        square_node = await session.resolve(runs["inner/s/square"].output_nodes[0])
        path = await session.path_messages(square_node)
        kinds = [
            (type(m).__name__, getattr(m, "workflow", None), getattr(m, "task", None))
            for _, m in path
        ]
        assert kinds == [
            ("WorkflowInput", "outer", None),
            ("TaskOutput", "outer", "start"),
            ("WorkflowInput", "inner", None),
            ("TaskOutput", "inner", "double"),
            ("TaskOutput", "inner", "square"),
        ]
        assert path[1][0] == result.nodes[("s", "start")]
        assert path[2][0].run_id == nest_run.id
        nest_node = result.nodes[("s", "nest")]
        assert nest_node.parent == result.nodes[("s", "start")].hash_key
        assert nest_node.run_id == nest_run.id
        assert nest_run.output_nodes == [nest_node.hash_key]


async def test_inner_events_and_tokens_reach_the_watcher_under_the_nested_task() -> None:
    calls: Counter[str] = Counter()
    seen: list[TaskEvent | TaskTokens] = []
    await run_workflow(outer_workflow(calls, inner_workflow(calls)), Num(n=1), watcher=seen.append)
    tokens = [e for e in seen if isinstance(e, TaskTokens)]
    assert [(t.workflow, t.state, t.task, t.text) for t in tokens] == [
        ("inner", "s/nest/s", "double", "dou"),
        ("inner", "s/nest/s", "double", "bled"),
    ]
    done = [(e.state, e.task) for e in seen if isinstance(e, TaskEvent) and e.status == "done"]
    assert done == [
        ("s", "start"),
        ("s/nest/s", "double"),
        ("s/nest/s", "square"),
        ("s", "nest"),
        ("s", "finish"),
    ]


async def test_conditions_read_the_nested_output_and_the_inner_machine_has_its_own_step_limit() -> (
    None
):
    calls: Counter[str] = Counter()
    looping = Workflow("looping")
    again = looping.state("again")

    @again.task()
    def tick(x: Num) -> Num:
        return Num(n=x.n + 1)

    again >> again
    wf = Workflow("outer")
    first = wf.state("first")
    big = wf.state("big", final=True)
    small = wf.state("small", final=True)
    first.subworkflow(inner_workflow(calls), name="nest")

    @first.condition()
    def is_big(result: Squared) -> bool:
        return result.squared > 10

    @big.task()
    def say_big(x: Squared) -> Total:
        return Total(total=x.squared)

    @small.task()
    def say_small(x: Squared) -> Total:
        return Total(total=-x.squared)

    (first & is_big) >> big
    first >> small
    assert (await run_workflow(wf, Num(n=2))).states == ["first", "big"]
    assert (await run_workflow(wf, Num(n=1))).states == ["first", "small"]

    limited = Workflow("limited")
    limited.state("s", final=True).subworkflow(looping, name="spin", output=Num, step_limit=3)
    with pytest.raises(
        WorkflowTaskFailed, match="task 'spin': failed: StepLimitExceeded"
    ) as failed:
        await run_workflow(limited, Num(n=0))
    assert "stopped after 3 states" in str(failed.value)
    assert failed.value.result.states == ["s"]


def test_a_workflow_nesting_itself_is_refused_at_definition() -> None:
    calls: Counter[str] = Counter()
    wf = Workflow("self")
    s = wf.state("s")

    @s.task()
    def a(x: Num) -> Num:
        return x

    with pytest.raises(
        WorkflowDefinitionError, match=r"workflow 'self', state 's', task 'me'.*nest itself"
    ):
        s.subworkflow(wf, name="me", output=Num)
    assert list(s.tasks) == ["a"]

    # Indirectly: A nests B; B nesting A is refused, naming B's state and task.
    a_wf = outer_workflow(calls, inner := inner_workflow(calls))
    t = inner.state("t")
    with pytest.raises(
        WorkflowDefinitionError,
        match=r"workflow 'inner', state 't', task 'back'.*'inner' -> 'outer' -> 'inner'",
    ):
        t.subworkflow(a_wf, name="back", input=Num, output=Total)


def test_definition_mistakes_of_nested_tasks_name_the_place() -> None:
    calls: Counter[str] = Counter()
    wf = Workflow("w")
    s = wf.state("s")
    with pytest.raises(WorkflowDefinitionError, match="task 'x': output= must be a pydantic model"):
        s.subworkflow(inner_workflow(calls), name="x", output=int)  # type: ignore[arg-type]
    with pytest.raises(WorkflowDefinitionError, match="task 'x': nests an invalid workflow"):
        s.subworkflow(Workflow("empty"), name="x", output=Num)
    with pytest.raises(WorkflowDefinitionError, match="task 'net': network 'net'"):
        s.network(Network("net"), input=Num, output=Num)
    s.subworkflow(inner_workflow(calls), name="x")
    with pytest.raises(WorkflowDefinitionError, match="task 'x': defined twice"):
        s.subworkflow(inner_workflow(calls), name="x")

    # A nested workflow changed after nesting is checked again when the outer one registers.
    inner = inner_workflow(calls)
    outer = outer_workflow(calls, inner)
    inner.state("hollow")
    with pytest.raises(WorkflowDefinitionError, match="state 'hollow': has no task"):
        WorkflowRegistry([outer])


async def test_cancel_stops_the_inner_machine_and_keeps_what_finished(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()
    gate = Gate()
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        running = asyncio.create_task(
            run_workflow(
                outer_workflow(calls, inner_workflow(calls, gate=gate)), Num(n=1), session=session
            )
        )
        await gate.started.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert dict(calls) == {"start": 1, "double": 1, "square": 1}
        runs = {run.agent: run for run in await session.runs()}
        assert runs["outer"].status is RunStatus.CANCELLED
        assert runs["outer/s/nest"].status is RunStatus.CANCELLED
        assert runs["inner/s/square"].status is RunStatus.CANCELLED
        assert runs["inner/s/double"].status is RunStatus.DONE
        kept = await session.message(runs["inner/s/double"].output_nodes[0])
        assert isinstance(kept, TaskOutput)
        assert Doubled.model_validate_json(kept.text) == Doubled(doubled=4)


async def test_a_failure_inside_fails_the_nested_task_leaving_both_error_nodes() -> None:
    calls: Counter[str] = Counter()
    fail: list[Exception] = [ValueError("too big"), ValueError("too big")]
    wf = outer_workflow(calls, inner_workflow(calls, fail=fail), retry=RetryPolicy(attempts=2))
    with pytest.raises(WorkflowTaskFailed) as failed:
        await run_workflow(wf, Num(n=1))
    message = str(failed.value)
    assert message.startswith("workflow 'outer', state 's', task 'nest': failed after 2 attempts")
    assert "workflow 'inner', state 's', task 'square'" in message
    assert "too big" in message
    # Each attempt ran the inner machine afresh.
    assert dict(calls) == {"start": 1, "double": 2, "square": 2}
    result = failed.value.result
    session = result.session
    outer_error = result.nodes[("s", "nest")]
    error_message = await session.message(outer_error)
    assert isinstance(error_message, TaskError)
    assert (error_message.workflow, error_message.task) == ("outer", "nest")
    assert outer_error.parent == result.nodes[("s", "start")].hash_key
    runs = await session.runs()
    inner_errors = [r for r in runs if r.agent == "inner/s/square"]
    assert [r.status for r in inner_errors] == [RunStatus.ERROR, RunStatus.ERROR]
    inside = await session.message(inner_errors[-1].output_nodes[0])
    assert isinstance(inside, TaskError)
    assert (inside.workflow, inside.task) == ("inner", "square")
    assert "finish" not in calls


async def test_resume_after_a_kill_midway_runs_only_the_unfinished_inner_tasks(
    tmp_path: Path,
) -> None:
    calls: Counter[str] = Counter()
    gate = Gate()
    database = tmp_path / "wf.db"
    async with SQLiteStore(database) as store:
        session = await Session.create(store)
        running = asyncio.create_task(
            run_workflow(
                outer_workflow(calls, inner_workflow(calls, gate=gate)),
                Num(n=1),
                session=session,
                branch="wf",
            )
        )
        await gate.started.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        run = next(r for r in await session.runs() if r.agent == "outer")
        assert dict(calls) == {"start": 1, "double": 1, "square": 1}

    async with SQLiteStore(database) as store:
        session = await Session.open(store, session.id)
        result = await resume_workflow(
            session, outer_workflow(calls, inner_workflow(calls)), run.id
        )
        assert result.run.status is RunStatus.DONE
        assert result.result == {"n": 2, "squared": 16, "total": 17}
        # start and double finished before the kill: taken over; square and finish ran.
        assert dict(calls) == {"start": 1, "double": 1, "square": 2, "finish": 1}
        assert (await session.head("wf")) == result.head
        # A finished run replays without running anything, inner tasks included.
        await resume_workflow(session, outer_workflow(calls, inner_workflow(calls)), run.id)
        assert dict(calls) == {"start": 1, "double": 1, "square": 2, "finish": 1}

        # Rerunning the nested task runs its inner machine again, not its recorded outputs.
        again = await rerun_task(
            session,
            outer_workflow(calls, inner_workflow(calls)),
            result.nodes[("s", "nest")],
            branch="again",
        )
        assert again.result == result.result
        assert dict(calls) == {"start": 1, "double": 2, "square": 3, "finish": 2}


# --- networks -----------------------------------------------------------------------------


class Question(NetMessage):
    type_tag: ClassVar[str] = "tests.nested.Question"
    n: int


class Answer(NetMessage):
    type_tag: ClassVar[str] = "tests.nested.Answer"
    doubled: int


class Asker(Actor):
    def receive_question(self, message: Question) -> Question:
        return Question.reply_to(message, receiver="doubler", n=message.n, text="please double")


class Doubler(Actor):
    def receive_question(self, message: Question) -> Answer:
        if message.n < 0:
            raise ValueError("cannot double a negative number")
        return Answer.reply_to(message, receiver=USER, doubled=message.n * 2, text="done")


def network_workflow(**options: object) -> Workflow:
    wf = Workflow("netwf")
    s = wf.state("s", final=True)

    @s.task()
    def start(x: Num) -> Num:
        return Num(n=x.n + 1)

    net = Network("pair", [Asker("asker"), Doubler("doubler")])
    ask = lambda x: Question(text="go", sender=USER, receiver="asker", n=x.n)  # noqa: E731
    pair = s.network(net, input=Num, output=Doubled, ask=ask, **options)  # type: ignore[arg-type]

    @s.task()
    def finish(x: Doubled) -> Total:
        return Total(total=x.doubled + 1)

    start >> pair >> finish  # type: ignore[operator]
    return wf


async def test_a_network_in_a_state_records_its_messages_and_its_answer_is_the_output(
    tmp_path: Path,
) -> None:
    seen: list[TaskEvent | TaskTokens] = []
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        result = await run_workflow(
            network_workflow(), Num(n=1), session=session, branch="wf", watcher=seen.append
        )
        # The Answer left the network; its fields were read into Doubled.
        assert result.outputs[("s", "pair")] == Doubled(doubled=4)
        assert result.result["total"] == 5
        runs = {run.agent: run for run in await session.runs()}
        pair_run = runs["netwf/s/pair"]
        assert runs["asker"].parent_run_id == pair_run.id
        assert runs["doubler"].parent_run_id == pair_run.id
        # The conversation is a chain of nodes under the start task's output, on its own branch.
        path = await session.path_messages("wf/pair-1")
        assert [type(m).__name__ for _, m in path] == [
            "WorkflowInput",
            "TaskOutput",
            "Question",
            "Question",
            "Answer",
        ]
        assert path[1][0] == result.nodes[("s", "start")]
        assert [node.sender for node, _ in path[2:]] == ["netwf", "asker", "doubler"]
        assert path[4][0].run_id == runs["doubler"].id
        assert result.nodes[("s", "pair")].parent == result.nodes[("s", "start")].hash_key
    streamed = "".join(e.text for e in seen if isinstance(e, TaskTokens) and e.task == "pair")
    assert "asker: please double" in streamed
    assert "doubler: done" in streamed


async def test_a_network_answer_can_be_chosen_and_a_network_without_one_fails_the_task() -> None:
    def biggest(result: NetResult) -> Doubled:
        return Doubled(doubled=max(getattr(m, "n", 0) for m in result.messages) * 100)

    chosen = await run_workflow(network_workflow(answer=biggest), Num(n=1))
    assert chosen.outputs[("s", "pair")] == Doubled(doubled=200)

    with pytest.raises(
        WorkflowTaskFailed, match="task 'pair': failed: NetworkAnswerMissing"
    ) as failed:
        await run_workflow(network_workflow(), Num(n=-5))
    assert "cannot double a negative number" in str(failed.value)
    error_node = failed.value.result.nodes[("s", "pair")]
    error = await failed.value.result.session.message(error_node)
    assert isinstance(error, TaskError)
    assert error.task == "pair"


async def test_a_nested_task_called_as_a_plain_function_runs_its_machine_in_memory() -> None:
    calls: Counter[str] = Counter()
    wf = outer_workflow(calls, inner_workflow(calls))
    assert await wf.states["s"].tasks["nest"](Num(n=3)) == Squared(squared=36)
    pair = network_workflow().states["s"].tasks["pair"]
    assert await pair(Num(n=3)) == Doubled(doubled=6)


class Stalling(Actor):
    """Answers a question only once `gate` is released."""

    def __init__(self, name: str, gate: Gate) -> None:
        super().__init__(name)
        self.gate = gate

    async def receive_question(self, message: Question) -> Answer:
        self.gate.started.set()
        await self.gate.release.wait()
        return Answer.reply_to(message, receiver=USER, doubled=message.n * 2, text="late")


async def test_cancel_stops_a_network_in_a_state_and_keeps_its_messages(tmp_path: Path) -> None:
    gate = Gate()
    wf = Workflow("netcancel")
    s = wf.state("s", final=True)
    net = Network("slow", [Asker("asker"), Stalling("doubler", gate)])
    s.network(
        net,
        input=Num,
        output=Doubled,
        ask=lambda x: Question(text="go", sender=USER, receiver="asker", n=x.n),
    )
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        running = asyncio.create_task(run_workflow(wf, Num(n=1), session=session, branch="wf"))
        await gate.started.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        runs = {run.agent: run for run in await session.runs()}
        assert runs["netcancel"].status is RunStatus.CANCELLED
        assert runs["netcancel/s/slow"].status is RunStatus.CANCELLED
        # The question, the asker's relay and the network's cancelled notice stay in the tree.
        path = await session.path_messages("wf/slow-1")
        assert [type(m).__name__ for _, m in path] == [
            "WorkflowInput",
            "Question",
            "Question",
            "Stopped",
        ]
