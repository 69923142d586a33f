"""Workflows side by side with LangGraph: a chain of 100 tasks, a fan-out to 1,000 + a join.

    python -m benchmarks --only workflow
    python -m benchmarks.workflow_bench           # the same rows, printed

Ramify runs each shape as one state of a `Workflow` (async tasks), in memory (a `MemoryStore`
session) and recorded to a SQLite file, the latter with each durability: ``"sync"`` (the
default: a task starts once its run record and inputs are stored) and ``"async"`` (records
written while the tasks go on, LangGraph's default mode); after each run the bench checks that
every task's output is a node of the session. LangGraph (``.[bench]``) runs the same shapes as
a `StateGraph`, without a checkpointer, with `InMemorySaver` and with `SqliteSaver` on a file
(its default durability, ``"async"``, and ``"sync"``).
Its fan-out is what LangGraph's docs teach for map-reduce: a conditional edge returning one
`Send` per item to a single worker node, whose outputs a list reducer gathers for the join.
Ramify's fan-out is 1,000 tasks in the state (a static DAG), each feeding the join.

Timed: one run, graph/workflow built and store/connection opened beforehand; best of N
(a shared machine can preempt a run). Without LangGraph the rows say so instead of failing.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, create_model

from ramify.core import MemoryStore, Session, SQLiteStore
from ramify.core.workflow import Durability, TaskOutput, Workflow, run_workflow

from .table import Row

CHAIN = 100
FAN_OUT = 1_000
IN_MEMORY_GOAL = 5.0
RECORDED_GOAL = 3.0

try:
    import langgraph  # noqa: F401

    LANGGRAPH_ERROR: str | None = None
except ImportError as error:  # pragma: no cover - depends on the extra installed
    LANGGRAPH_ERROR = f"{type(error).__name__}: {error}"


class Value(BaseModel):
    value: int


class Seed(BaseModel):
    seed: int


class Total(BaseModel):
    total: int


# --- Ramify ---------------------------------------------------------------------------------


def ramify_chain(length: int) -> Workflow:
    """One state, tasks t0 >> t1 >> ... each adding one."""
    workflow = Workflow("bench_chain")
    state = workflow.state("chain", final=True)

    async def step(item: Value) -> Value:
        return Value(value=item.value + 1)

    tasks = [state.task(f"t{index}")(step) for index in range(length)]
    for first, second in itertools.pairwise(tasks):
        state.edge(first, second)
    return workflow


def ramify_fan_out(width: int) -> Workflow:
    """One state: `fan` feeds `width` workers, each with its own output field, all feed `join`.

    A task's input is its upstream outputs merged, so each worker's output needs a field of
    its own for the join to see all of them (models made here, outside the timing).
    """
    workflow = Workflow("bench_fan_out")
    state = workflow.state("fan_out", final=True)

    @state.task()
    async def fan(item: Value) -> Seed:
        return Seed(seed=item.value)

    parts = create_model("Parts", **{f"p{i}": (int, ...) for i in range(width)})  # type: ignore[call-overload]
    workers = []
    for index in range(width):
        model = create_model(f"Part{index}", **{f"p{index}": (int, ...)})  # type: ignore[call-overload]

        def make(index: int, model: type[BaseModel]) -> Callable[..., Any]:
            async def work(seed: Seed) -> Any:
                return model(**{f"p{index}": seed.seed + index})

            work.__annotations__ = {"seed": Seed, "return": model}
            return work

        workers.append(state.task(f"w{index}")(make(index, model)))

    async def join(values: Any) -> Total:
        return Total(total=sum(values.model_dump().values()))

    join.__annotations__ = {"values": parts, "return": Total}
    joiner = state.task("join")(join)
    for worker in workers:
        state.edge(fan, worker)
        state.edge(worker, joiner)
    return workflow


async def _ramify_once(
    workflow: Workflow, tasks: int, db: Path | None, durability: Durability = "sync"
) -> tuple[float, float]:
    if db is None:
        session = await Session.create(MemoryStore())
        return await _timed_run(workflow, session, tasks, durability)
    async with SQLiteStore(db) as store:
        session = await Session.create(store)
        return await _timed_run(workflow, session, tasks, durability)


async def _timed_run(
    workflow: Workflow, session: Session, tasks: int, durability: Durability
) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    result = await run_workflow(workflow, Value(value=0), session=session, durability=durability)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Not timed: every task's output is a node of the session.
    stored = 0
    for node in await session.store.session_nodes(session.id):
        if isinstance(await session.message(node), TaskOutput):
            stored += 1
    assert stored == tasks == len(result.nodes), f"{stored} task outputs stored of {tasks}"
    return elapsed, cpu


def _ramify(
    make: Callable[[], Workflow],
    tasks: int,
    recorded: bool,
    repeat: int,
    durability: Durability = "sync",
) -> Timing:
    def once() -> Coroutine[Any, Any, tuple[float, float]]:
        workflow = make()
        if not recorded:
            return _ramify_once(workflow, tasks, None)

        async def on_file() -> tuple[float, float]:
            with tempfile.TemporaryDirectory() as folder:
                return await _ramify_once(workflow, tasks, Path(folder) / "bench.db", durability)

        return on_file()

    return _best([asyncio.run(once()) for _ in range(repeat)])


# --- LangGraph ------------------------------------------------------------------------------


class ChainState(TypedDict):
    value: int


class FanState(TypedDict):
    seed: int
    results: Annotated[list[int], operator.add]
    total: int


def langgraph_chain(length: int) -> Any:
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(ChainState)

    def step(state: ChainState) -> dict[str, int]:
        return {"value": state["value"] + 1}

    for index in range(length):
        graph.add_node(f"t{index}", step)
    graph.add_edge(START, "t0")
    for index in range(length - 1):
        graph.add_edge(f"t{index}", f"t{index + 1}")
    graph.add_edge(f"t{length - 1}", END)
    return graph


def langgraph_fan_out(width: int) -> Any:
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Send

    graph = StateGraph(FanState)

    def fan(state: FanState) -> dict[str, int]:
        return {"seed": state["seed"]}

    def spread(state: FanState) -> list[Any]:  # Sends; a local import, so not named here
        return [Send("work", {"seed": state["seed"], "index": index}) for index in range(width)]

    def work(item: dict[str, int]) -> dict[str, list[int]]:
        return {"results": [item["seed"] + item["index"]]}

    def join(state: FanState) -> dict[str, int]:
        return {"total": sum(state["results"])}

    graph.add_node("fan", fan)
    graph.add_node("work", work)
    graph.add_node("join", join)
    graph.add_edge(START, "fan")
    graph.add_conditional_edges("fan", spread, ["work"])
    graph.add_edge("work", "join")
    graph.add_edge("join", END)
    return graph


def _langgraph(
    make: Callable[[], Any],
    start: dict[str, Any],
    check: Callable[[dict[str, Any]], bool],
    saver: str,
    repeat: int,
    durability: str | None = None,
) -> Timing:
    timings = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            connection = None
            checkpointer: Any = None
            if saver == "memory":
                from langgraph.checkpoint.memory import InMemorySaver

                checkpointer = InMemorySaver()
            elif saver == "sqlite":
                from langgraph.checkpoint.sqlite import SqliteSaver

                connection = sqlite3.connect(Path(folder) / "lg.db", check_same_thread=False)
                checkpointer = SqliteSaver(connection)
                checkpointer.setup()
            app = make().compile(checkpointer=checkpointer)
            config = {"recursion_limit": 10_000, "configurable": {"thread_id": "bench"}}
            started, cpu = time.perf_counter(), time.process_time()
            final = app.invoke(start, config, durability=durability)
            timings.append((time.perf_counter() - started, time.process_time() - cpu))
            assert check(final), final
            if connection is not None:
                connection.close()
    return _best(timings)


# --- Rows -----------------------------------------------------------------------------------

Timing = tuple[float, float]


def _best(timings: list[Timing]) -> Timing:
    return min(wall for wall, _ in timings), min(cpu for _, cpu in timings)


def run(quick: bool = False) -> list[Row]:
    """The workflow section's rows: wall ms, best of N; ratios LangGraph / Ramify."""
    chain, width = (10, 50) if quick else (CHAIN, FAN_OUT)
    repeat = 1 if quick else 5
    shapes = [
        (
            f"chain of {chain} tasks",
            lambda: ramify_chain(chain),
            chain,
            lambda: langgraph_chain(chain),
            {"value": 0},
            lambda final: final["value"] == chain,
        ),
        (
            f"fan-out to {width:,} tasks + join",
            lambda: ramify_fan_out(width),
            width + 2,
            lambda: langgraph_fan_out(width),
            {"seed": 0, "results": [], "total": 0},
            lambda final: final["total"] == sum(range(width)),
        ),
    ]
    rows: list[Row] = []
    if LANGGRAPH_ERROR is not None:
        rows.append(
            Row(section="workflow", name=f"LangGraph: skipped ({LANGGRAPH_ERROR})", ours=None)
        )
    version = _langgraph_version()
    for name, ours, tasks, theirs, start, check in shapes:
        memory = _ramify(ours, tasks, recorded=False, repeat=repeat)
        on_disk = _ramify(ours, tasks, recorded=True, repeat=repeat)
        on_disk_async = _ramify(ours, tasks, recorded=True, repeat=repeat, durability="async")
        anchors: dict[str, Timing | None] = {"none": None, "memory": None, "sqlite": None}
        sqlite_sync = None
        if LANGGRAPH_ERROR is None:
            for saver in anchors:
                anchors[saver] = _langgraph(theirs, start, check, saver, repeat)
            sqlite_sync = _langgraph(theirs, start, check, "sqlite", repeat, durability="sync")
        plain, in_memory_saver, sqlite_saver = anchors["none"], anchors["memory"], anchors["sqlite"]
        fastest = None
        if plain is not None and in_memory_saver is not None:
            fastest = min(plain[0], in_memory_saver[0])
        rows.append(
            _row(
                f"{name}, in memory",
                memory,
                fastest,
                IN_MEMORY_GOAL,
                version,
                "vs the faster of LangGraph without a checkpointer "
                f"({_ms(plain)}) and with InMemorySaver ({_ms(in_memory_saver)}); "
                "every task output a node of a MemoryStore session",
            )
        )
        rows.append(
            _row(
                f"{name}, recorded to SQLite",
                on_disk,
                None if sqlite_saver is None else sqlite_saver[0],
                RECORDED_GOAL,
                version,
                "Ramify's default durability (a task starts once its run and inputs are stored) "
                "vs LangGraph + SqliteSaver on a file in its default (async) durability; Ramify "
                "writes every task output as a node and every task run to a SQLiteStore file "
                f"(LangGraph CPU {_cpu(sqlite_saver)}; LangGraph with durability='sync' "
                f"{_ms(sqlite_sync)})",
            )
        )
        rows.append(
            _row(
                f"{name}, recorded to SQLite, async durability",
                on_disk_async,
                None if sqlite_saver is None else sqlite_saver[0],
                RECORDED_GOAL,
                version,
                "both in async durability (records written while the tasks go on): Ramify "
                "durability='async' vs LangGraph + SqliteSaver's default",
            )
        )
    return rows


def _row(
    name: str, ours: Timing, anchor: float | None, goal: float, version: str, note: str
) -> Row:
    ratio = None if anchor is None else anchor / ours[0]
    return Row(
        section="workflow",
        name=name,
        ours=ours[0] * 1000,
        anchor=None if anchor is None else anchor * 1000,
        anchor_name=f"LangGraph {version}" if anchor is not None else "",
        ratio=ratio,
        goal=f">= {goal:.0f}x faster",
        met=None if ratio is None else ratio >= goal,
        unit="ms",
        note=f"{note}; Ramify CPU {ours[1] * 1000:.1f} ms",
    )


def _ms(timing: Timing | None) -> str:
    return "-" if timing is None else f"{timing[0] * 1000:.1f} ms"


def _cpu(timing: Timing | None) -> str:
    return "-" if timing is None else f"{timing[1] * 1000:.1f} ms"


def _langgraph_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("langgraph")
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        anchor = "-" if row.anchor is None else f"{row.anchor:,.1f}"
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        print(f"{row.name}: {row.ours} ms, LangGraph {anchor} ms, {ratio} ({row.note})")
