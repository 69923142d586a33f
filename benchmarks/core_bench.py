"""Core benchmark: Ramify vs MiniAgents 0.0.35 vs a bare `asyncio.Queue`, side by side.

Run with ``python -m benchmarks.core_bench`` (add ``--quick`` for a 10x smaller smoke run).

Scenarios (the ones in shared/research/miniagents.md section 4 and issue #4):

* (a) one agent streams 200k ``"tok"`` tokens to a consumer, once with a producer that yields
  to the loop after every token (``await asyncio.sleep(0)``) and once with one that never
  yields. Throughput and, in a separate tracemalloc pass, peak traced memory above the level
  before the run. A never-yielding Ramify producer finishes before the consumer starts, and a
  resolved Ramify message keeps only its text, so that consumer receives ONE token: the
  burst rate is "produced tokens / time until the consumer holds the whole text" (characters
  are checked); the received-token counts are printed.
* (b) 10 nested agents (the innermost streams 50k tokens, yielding after each one so tokens
  really flow through the chain), each passing the stream through:
  ``ctx.reply(next_agent.inquire(ctx.message_promises))``.
* (b') the same chain, each level re-streaming every token into its own message.
* (c) an aggregator replies with 1,000 sub-agent calls, each replying one message; time until
  all the replies are resolved.

Every run is a fresh ``asyncio.run``; timings are medians of a few repeats and exclude the
runtime's own start-up and shutdown (as the research script does).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import itertools
import logging
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from typing import Any

from ramify.core import InteractionContext, Ramify, TokenAppender, agent

try:
    # miniagents 0.0.35 creates a prompt_toolkit session at import time and warns when stdin
    # is not a terminal; keep that noise out of the table.
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        import miniagents as _ma
    MINIAGENTS_ERROR: str | None = None
except Exception as _error:  # pragma: no cover - depends on the optional extra
    _ma = None
    MINIAGENTS_ERROR = f"{type(_error).__name__}: {_error}"

N_A = 200_000
N_B = 50_000
DEPTH_B = 10
N_C = 1_000
TOKEN = "tok"

Scenario = Callable[[], Coroutine[Any, Any, dict[str, Any]]]


def _quiet_logger() -> logging.Logger:
    logger = logging.Logger("core-bench-quiet", level=logging.CRITICAL)
    logger.addHandler(logging.NullHandler())
    return logger


# ====================================================================== bare asyncio.Queue


async def queue_stream(n: int, yield_each: bool) -> dict[str, Any]:
    """(a) lower bound: one producer task, one consumer, one queue."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    end = object()

    async def producer() -> None:
        for _ in range(n):
            queue.put_nowait(TOKEN)
            if yield_each:
                await asyncio.sleep(0)
        queue.put_nowait(end)

    start = time.perf_counter()
    task = asyncio.create_task(producer())
    tokens = chars = 0
    while (item := await queue.get()) is not end:
        tokens += 1
        chars += len(item)
    seconds = time.perf_counter() - start
    await task
    return {"seconds": seconds, "tokens": tokens, "chars": chars}


async def queue_chain(n: int, restream: bool) -> dict[str, Any]:
    """(b) lower bound: pass-through is one queue; re-streaming relays through 10 stages."""
    end = object()
    queues: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(DEPTH_B if restream else 1)]

    async def producer() -> None:
        for _ in range(n):
            queues[0].put_nowait(TOKEN)
            await asyncio.sleep(0)
        queues[0].put_nowait(end)

    async def relay(inbox: asyncio.Queue[Any], outbox: asyncio.Queue[Any]) -> None:
        while (item := await inbox.get()) is not end:
            outbox.put_nowait(item)
        outbox.put_nowait(end)

    start = time.perf_counter()
    tasks = [asyncio.create_task(producer())]
    tasks += [asyncio.create_task(relay(a, b)) for a, b in itertools.pairwise(queues)]
    tokens = 0
    while (await queues[-1].get()) is not end:
        tokens += 1
    seconds = time.perf_counter() - start
    await asyncio.gather(*tasks)
    return {"seconds": seconds, "tokens": tokens}


async def queue_fanout(n: int) -> dict[str, Any]:
    """(c) lower bound: one task per sub-agent, each putting one reply."""
    queue: asyncio.Queue[str] = asyncio.Queue()

    async def leaf(idx: int) -> None:
        queue.put_nowait(f"reply from leaf {idx}")

    start = time.perf_counter()
    tasks = [asyncio.create_task(leaf(i)) for i in range(n)]
    replies = [await queue.get() for _ in range(n)]
    seconds = time.perf_counter() - start
    await asyncio.gather(*tasks)
    assert len(replies) == n
    return {"seconds": seconds}


# ====================================================================== Ramify


def _ramify_streamer(n: int, yield_each: bool, alias: str = "STREAMER") -> Any:
    async def streamer(ctx: InteractionContext) -> None:
        with TokenAppender() as appender:
            ctx.reply(appender.promise)
            for _ in range(n):
                appender.append(TOKEN)
                if yield_each:
                    await asyncio.sleep(0)

    return agent(alias=alias)(streamer)


async def ramify_stream(n: int, yield_each: bool) -> dict[str, Any]:
    streamer = _ramify_streamer(n, yield_each)
    async with Ramify():
        start = time.perf_counter()
        tokens = chars = 0
        async for promise in streamer.inquire():
            async for token in promise:
                tokens += 1
                chars += len(token)
            message = await promise
        seconds = time.perf_counter() - start
    assert chars == len(TOKEN) * n
    assert len(message.text) == len(TOKEN) * n
    return {"seconds": seconds, "tokens": tokens, "chars": chars}


def _ramify_chain(n: int, restream: bool, inner_yields: bool) -> Any:
    current = _ramify_streamer(n, yield_each=inner_yields, alias=f"LEVEL_{DEPTH_B}")

    def level_agent(inner: Any, level: int) -> Any:
        if restream:

            async def body(ctx: InteractionContext) -> None:
                with TokenAppender() as appender:
                    ctx.reply(appender.promise)
                    async for promise in inner.inquire(ctx.message_promises):
                        async for token in promise:
                            appender.append(token)

        else:

            async def body(ctx: InteractionContext) -> None:
                ctx.reply(inner.inquire(ctx.message_promises))

        return agent(alias=f"LEVEL_{level}")(body)

    for level in range(DEPTH_B - 1, 0, -1):
        current = level_agent(current, level)
    return current


async def ramify_chain(n: int, restream: bool, inner_yields: bool = True) -> dict[str, Any]:
    outer = _ramify_chain(n, restream, inner_yields)
    async with Ramify():
        start = time.perf_counter()
        tokens = chars = 0
        async for promise in outer.inquire("go"):
            async for token in promise:
                tokens += 1
                chars += len(token)
        seconds = time.perf_counter() - start
    assert chars == len(TOKEN) * n, chars
    return {"seconds": seconds, "tokens": tokens}


@agent
async def ramify_leaf(ctx: InteractionContext, idx: int) -> None:
    ctx.reply(f"reply from leaf {idx}")


@agent
async def ramify_aggregator(ctx: InteractionContext, n: int) -> None:
    ctx.reply([ramify_leaf.inquire(idx=i) for i in range(n)])


async def ramify_fanout(n: int) -> dict[str, Any]:
    async with Ramify():
        start = time.perf_counter()
        messages = await ramify_aggregator.inquire(n=n)
        seconds = time.perf_counter() - start
    assert len(messages) == n
    return {"seconds": seconds}


# ====================================================================== MiniAgents 0.0.35


def _ma_streamer(n: int, yield_each: bool, alias: str = "STREAMER") -> Any:
    assert _ma is not None

    async def streamer(ctx: Any) -> None:
        with _ma.MessageTokenAppender() as appender:
            ctx.reply(_ma.TextMessage.promise(message_token_streamer=appender))
            for _ in range(n):
                appender.append(TOKEN)
                if yield_each:
                    await asyncio.sleep(0)

    return _ma.miniagent(streamer, alias=alias)


async def ma_stream(n: int, yield_each: bool) -> dict[str, Any]:
    assert _ma is not None
    streamer = _ma_streamer(n, yield_each)
    async with _ma.MiniAgents(logger=_quiet_logger()):
        start = time.perf_counter()
        tokens = chars = 0
        async for promise in streamer.trigger():
            async for token in promise:
                tokens += 1
                chars += len(str(token))
            message = await promise
        seconds = time.perf_counter() - start
    assert chars == len(TOKEN) * n
    assert len(str(message)) == len(TOKEN) * n
    return {"seconds": seconds, "tokens": tokens, "chars": chars}


def _ma_chain(n: int, restream: bool, inner_yields: bool) -> Any:
    assert _ma is not None
    current = _ma_streamer(n, yield_each=inner_yields, alias=f"LEVEL_{DEPTH_B}")

    def level_agent(inner: Any, level: int) -> Any:
        assert _ma is not None
        if restream:

            async def body(ctx: Any) -> None:
                assert _ma is not None
                with _ma.MessageTokenAppender() as appender:
                    ctx.reply(_ma.TextMessage.promise(message_token_streamer=appender))
                    async for promise in inner.trigger(ctx.message_promises):
                        async for token in promise:
                            appender.append(token)

        else:

            async def body(ctx: Any) -> None:
                ctx.reply(inner.trigger(ctx.message_promises))

        return _ma.miniagent(body, alias=f"LEVEL_{level}")

    for level in range(DEPTH_B - 1, 0, -1):
        current = level_agent(current, level)
    return current


async def ma_chain(n: int, restream: bool, inner_yields: bool = True) -> dict[str, Any]:
    assert _ma is not None
    outer = _ma_chain(n, restream, inner_yields)
    async with _ma.MiniAgents(logger=_quiet_logger()):
        start = time.perf_counter()
        tokens = chars = 0
        async for promise in outer.trigger("go"):
            async for token in promise:
                tokens += 1
                chars += len(str(token))
        seconds = time.perf_counter() - start
    assert chars == len(TOKEN) * n, chars
    return {"seconds": seconds, "tokens": tokens}


async def ma_fanout(n: int) -> dict[str, Any]:
    assert _ma is not None

    async def leaf(ctx: Any, idx: int) -> None:
        ctx.reply(f"reply from leaf {idx}")

    leaf_agent = _ma.miniagent(leaf, alias="LEAF")

    async def aggregator(ctx: Any) -> None:
        ctx.reply([leaf_agent.trigger(idx=i) for i in range(n)])

    aggregator_agent = _ma.miniagent(aggregator, alias="AGGREGATOR")
    async with _ma.MiniAgents(logger=_quiet_logger()):
        start = time.perf_counter()
        messages = await aggregator_agent.trigger()
        seconds = time.perf_counter() - start
    assert len(messages) == n
    return {"seconds": seconds}


# ====================================================================== harness


def _timed(scenario: Scenario, repeats: int) -> dict[str, Any]:
    """Median seconds over `repeats` fresh event loops; the other fields of the last run."""
    results = []
    for _ in range(repeats):
        gc.collect()
        results.append(asyncio.run(scenario()))
    last = dict(results[-1])
    last["seconds"] = statistics.median(result["seconds"] for result in results)
    return last


def _peak_mib(scenario: Scenario) -> float:
    """Peak traced memory of one fresh event loop, above what was traced before it."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        asyncio.run(scenario())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - before) / 2**20


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def _row(
    scenario: str,
    unit: str,
    ramify: float,
    miniagents: float | None,
    queue: float | None,
    ratio: float | None,
    goal: str,
    met: bool | None,
    note: str = "",
) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "ramify": ramify,
        "miniagents": miniagents,
        "queue": queue,
        "unit": unit,
        "ratio": ratio,
        "goal": goal,
        "met": met,
        "note": note,
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run every scenario against Ramify, MiniAgents (when installed) and asyncio.Queue.

    Args:
        quick: 10x fewer tokens / sub-agents and a single repeat (a smoke run).

    Returns one row per measurement: scenario, ramify, miniagents, queue, unit, ratio
    (Ramify's advantage: throughput ratio, speed-up, or memory fraction), goal, met, note.
    """
    scale = 10 if quick else 1
    repeats = 1 if quick else 3
    n_a, n_b, n_c = N_A // scale, N_B // scale, N_C // scale
    have_ma = _ma is not None
    rows: list[dict[str, Any]] = []

    def three(make: Callable[[Callable[..., Any]], Scenario], ma_fn: Any, q_fn: Any, ra_fn: Any):
        ra = _timed(make(ra_fn), repeats)
        ma = _timed(make(ma_fn), repeats) if have_ma else None
        q = _timed(make(q_fn), repeats) if q_fn is not None else None
        return ra, ma, q

    # (a) one agent streams n_a tokens: yielding and never-yielding producers
    for yield_each, label in ((True, "yields each token"), (False, "never yields")):

        def make_a(fn: Any, y: bool = yield_each) -> Scenario:
            return lambda: fn(n_a, y)

        ra, ma, q = three(make_a, ma_stream, queue_stream, ramify_stream)
        ra_tps = n_a / ra["seconds"]
        ma_tps = n_a / ma["seconds"] if ma else None
        q_tps = n_a / q["seconds"] if q else None
        ratio = _ratio(ra_tps, ma_tps)
        received = f"consumer got Ramify {ra['tokens']:,} / " + (
            f"MiniAgents {ma['tokens']:,} / " if ma else ""
        )
        received += f"queue {q['tokens']:,} tokens"
        rows.append(
            _row(
                f"(a) 1 agent streams {n_a:,} tok, {label}",
                "tokens/s",
                ra_tps,
                ma_tps,
                q_tps,
                ratio,
                ">= 4x MiniAgents",
                None if ratio is None else ratio >= 4,
                f"{received}; Ramify at {ra_tps / q_tps:.0%} of the queue bound"
                + ("" if yield_each else "; rate = produced tokens / time to full text"),
            )
        )
        ra_mem = _peak_mib(make_a(ramify_stream))
        ma_mem = _peak_mib(make_a(ma_stream)) if have_ma else None
        q_mem = _peak_mib(make_a(queue_stream))
        fraction = _ratio(ra_mem, ma_mem)
        rows.append(
            _row(
                f"(a) peak traced memory, {label}",
                "MiB",
                ra_mem,
                ma_mem,
                q_mem,
                fraction,
                "<= 1/3 of MiniAgents",
                None if fraction is None else fraction <= 1 / 3,
                "tracemalloc peak above the level before the run",
            )
        )

    # (b) / (b') 10 nested agents, n_b tokens
    for restream, label, goal in (
        (False, f"(b) {DEPTH_B} nested, pass-through, {n_b:,} tok", 4),
        (True, f"(b') {DEPTH_B} nested, re-stream, {n_b:,} tok", 10),
    ):

        def make_b(fn: Any, r: bool = restream) -> Scenario:
            return lambda: fn(n_b, r)

        ra, ma, q = three(make_b, ma_chain, queue_chain, ramify_chain)
        ra_tps = n_b / ra["seconds"]
        ma_tps = n_b / ma["seconds"] if ma else None
        q_tps = n_b / q["seconds"] if q else None
        ratio = _ratio(ra_tps, ma_tps)
        rows.append(
            _row(
                label,
                "tokens/s",
                ra_tps,
                ma_tps,
                q_tps,
                ratio,
                f">= {goal}x MiniAgents",
                None if ratio is None else ratio >= goal,
                f"innermost yields each token; queue bound = "
                f"{'10-stage relay' if restream else 'one queue'}; "
                f"consumer got Ramify {ra['tokens']:,} tokens",
            )
        )

    # (b') as in the research script: the innermost never yields. Its message resolves before
    # the next level reads it, so Ramify's levels each re-stream ONE token (the whole text):
    # shown for comparison with the research numbers, not counted as meeting a goal.
    burst_ra = _timed(lambda: ramify_chain(n_b, True, False), 1)
    burst_ma = _timed(lambda: ma_chain(n_b, True, False), 1) if have_ma else None
    ra_tps = n_b / burst_ra["seconds"]
    ma_tps = n_b / burst_ma["seconds"] if burst_ma else None
    rows.append(
        _row(
            f"(b') re-stream, innermost never yields, {n_b:,} tok",
            "tokens/s",
            ra_tps,
            ma_tps,
            None,
            _ratio(ra_tps, ma_tps),
            "info only",
            None,
            f"1 run; consumer got Ramify {burst_ra['tokens']:,}"
            + (f" / MiniAgents {burst_ma['tokens']:,}" if burst_ma else "")
            + " tokens (Ramify's levels each re-stream the resolved text as one token)",
        )
    )

    # (c) fan-out to n_c sub-agents
    def make_c(fn: Any) -> Scenario:
        return lambda: fn(n_c)

    ra, ma, q = three(make_c, ma_fanout, queue_fanout, ramify_fanout)
    speedup = _ratio(ma["seconds"] if ma else None, ra["seconds"])
    rows.append(
        _row(
            f"(c) fan-out to {n_c:,} sub-agents",
            "s",
            ra["seconds"],
            ma["seconds"] if ma else None,
            q["seconds"] if q else None,
            speedup,
            ">= 5x faster",
            None if speedup is None else speedup >= 5,
            "time until all replies resolved",
        )
    )
    return rows


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "tokens/s":
        return f"{value / 1000:,.0f}k"
    if unit == "s":
        return f"{value:.3f}"
    return f"{value:.1f}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a Markdown table."""
    lines = [
        "| scenario | unit | Ramify | MiniAgents | asyncio.Queue | ratio | goal | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        unit = row["unit"]
        ratio = row["ratio"]
        if ratio is None:
            ratio_text = "-"
        elif unit == "MiB":
            ratio_text = f"{ratio:.2f} of it"
        else:
            ratio_text = f"{ratio:.1f}x"
        met = {True: "yes", False: "NO", None: "-"}[row["met"]]
        lines.append(
            f"| {row['scenario']} | {unit} | {_fmt(row['ramify'], unit)} | "
            f"{_fmt(row['miniagents'], unit)} | {_fmt(row['queue'], unit)} | {ratio_text} | "
            f"{row['goal']} | {met} |"
        )
    notes = [f"- {row['scenario']}: {row['note']}" for row in rows if row["note"]]
    return "\n".join([*lines, "", "Notes:", *notes])


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    if MINIAGENTS_ERROR is not None:
        print(f"miniagents is not importable ({MINIAGENTS_ERROR}); its column is skipped.")
    started = time.perf_counter()
    rows = run(quick=quick)
    print(format_table(rows))
    print(f"\n({'quick' if quick else 'full'} run, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
