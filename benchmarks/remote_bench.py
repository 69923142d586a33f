"""Remote agents over NATS: token latency, throughput, a 4-step DAG, a 4-task workflow across
two workers and worker start-up.

Each figure is measured side by side with the same agents run in process and, where it
applies, a bare nats-py relay of the same tokens (the floor: NATS itself, no Ramify).
A private ``nats-server -js`` runs on a free loopback port with a temporary store; workers
are real ``ramify worker`` processes. Without the binary or nats-py the section is skipped.

    python -m benchmarks --only remote
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .table import Row

AGENTS = Path(__file__).with_name("remote_agents.py")
RAY_START_S = 4.4  # research/frameworks.md §3.2: ray.init on this 2-core machine
GERMINATE_DAG_MS = 2300.0  # issue 20: Germinate's 4-task workflow end to end


@contextmanager
def _nats_server() -> Iterator[str]:
    binary = shutil.which("nats-server")
    if binary is None:
        raise RuntimeError("nats-server not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as store:
        process = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("nats-server did not start") from None
                    time.sleep(0.02)
            yield f"nats://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


def _start_worker(url: str, *, workflow: bool) -> tuple[subprocess.Popen[str], float]:
    """A `ramify worker` process and the seconds from spawning it to its ready line."""
    started = time.perf_counter()
    names = ("stamp", "burst", "step", *(("dag",) if workflow else ()))
    specs = [f"{AGENTS}:{name}" for name in names]
    process = subprocess.Popen(
        [sys.executable, "-m", "ramify.tui.cli", "worker", "--nats", url, *specs],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "ready" not in line:
        process.kill()
        raise RuntimeError(f"worker did not start: {line!r}")
    return process, time.perf_counter() - started


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _latencies(target: Any, n: int) -> list[float]:
    """Milliseconds from each token's yield (its text) to this consumer."""
    out = []
    async for promise in target.inquire(None, n=n):
        async for token in promise:
            out.append((time.monotonic() - float(token)) * 1000)
    return out


async def _bare_latencies(url: str, n: int, gap: float) -> list[float]:
    import nats

    publisher, subscriber = await nats.connect(url), await nats.connect(url)
    out: list[float] = []
    done = asyncio.Event()

    async def take(msg: Any) -> None:
        out.append((time.monotonic() - float(msg.data)) * 1000)
        if len(out) == n:
            done.set()

    await subscriber.subscribe("bench.latency", cb=take)
    await subscriber.flush()
    for _ in range(n):
        await publisher.publish("bench.latency", f"{time.monotonic():.9f}".encode())
        await asyncio.sleep(gap)
    await asyncio.wait_for(done.wait(), 30)
    await publisher.close()
    await subscriber.close()
    return out


async def _throughput(target: Any, agents: int, n: int) -> float:
    """Tokens per second for `agents` concurrent calls of `n` tokens each."""

    async def one() -> int:
        # Tokens that arrive before the reader looks are joined into one piece, so the
        # tokens are counted in the finished text (every one of them must be there).
        count = 0
        async for promise in target.inquire(None, n=n):
            async for _ in promise:
                pass
            count += len((await promise).text.split())
        return count

    started = time.perf_counter()
    counts = await asyncio.gather(*(one() for _ in range(agents)))
    seconds = time.perf_counter() - started
    if counts != [n] * agents:
        raise RuntimeError(f"tokens lost: {counts}")
    return sum(counts) / seconds


_BARE_PUBLISHER = """
import asyncio, sys, nats
async def main(url, agents, n):
    nc = await nats.connect(url)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    async def publish(index):
        for token in range(n):
            await nc.publish(f"bench.burst.{index}", f"t{token} ".encode())
    await asyncio.gather(*(publish(index) for index in range(agents)))
    await nc.drain()
asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


async def _bare_throughput(url: str, agents: int, n: int) -> float:
    """The same tokens published by another process (as a worker does), one message each."""
    import nats

    subscriber = await nats.connect(url)
    received = 0
    done = asyncio.Event()

    async def take(_: Any) -> None:
        nonlocal received
        received += 1
        if received == agents * n:
            done.set()

    await subscriber.subscribe("bench.burst.*", cb=take, pending_msgs_limit=10_000_000)
    await subscriber.flush()
    publisher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _BARE_PUBLISHER,
        url,
        str(agents),
        str(n),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert publisher.stdin is not None
    assert publisher.stdout is not None
    await publisher.stdout.readline()
    started = time.perf_counter()
    publisher.stdin.write(b"go\n")
    await publisher.stdin.drain()
    await asyncio.wait_for(done.wait(), 60)
    seconds = time.perf_counter() - started
    await publisher.wait()
    await subscriber.close()
    return agents * n / seconds


async def _dag_ms(step: Any, runs: int) -> float:
    """Median ms of A -> (B, C) -> D, each step a call fed the previous replies."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        a = await step.inquire("start")
        b, c = await asyncio.gather(step.inquire(a), step.inquire(a))
        await step.inquire([*b, *c])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def _workflow_ms(runs: int, tasks_on: Any) -> float:
    """Median ms of one run of the 4-task workflow (recorded into a new in-memory session)."""
    from ramify.core.workflow import run_workflow

    from .remote_agents import Start, dag

    times = []
    for index in range(runs):
        started = time.perf_counter()
        await run_workflow(dag, Start(text=str(index)), tasks_on=tasks_on)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def _measure(url: str, quick: bool) -> dict[str, float]:
    from ramify.core import Ramify
    from ramify.core.remote import close_shared_buses, remote_agent, remote_tasks

    from . import remote_agents

    n_latency = 100 if quick else 400
    agents, n_burst = (8, 300) if quick else (8, 2000)
    results: dict[str, float] = {}
    async with Ramify():
        stamp = remote_agent("STAMP", nats=url)
        await _latencies(stamp, 5)  # connect and warm up
        remote = await _latencies(stamp, n_latency)
        local = await _latencies(remote_agents.stamp, n_latency)
        bare = await _bare_latencies(url, n_latency, 0.005)
        results.update(
            latency_p50=_percentile(remote, 0.5),
            latency_p99=_percentile(remote, 0.99),
            latency_local_p50=_percentile(local, 0.5),
            latency_bare_p50=_percentile(bare, 0.5),
        )
        burst = remote_agent("BURST", nats=url)
        await _throughput(burst, 1, 10)
        results["tps_remote"] = await _throughput(burst, agents, n_burst)
        results["tps_local"] = await _throughput(remote_agents.burst, agents, n_burst)
        results["tps_bare"] = await _bare_throughput(url, agents, n_burst)
        step = remote_agent("STEP", nats=url)
        await _dag_ms(step, 2)
        results["dag_ms"] = await _dag_ms(step, 5 if quick else 20)
        results["dag_local_ms"] = await _dag_ms(remote_agents.step, 5 if quick else 20)
        placement = remote_tasks(url)
        await _workflow_ms(2, placement)
        results["workflow_ms"] = await _workflow_ms(5 if quick else 20, placement)
        results["workflow_workers"] = len(set(placement.workers.values()))
        results["workflow_local_ms"] = await _workflow_ms(5 if quick else 20, None)
        await close_shared_buses()
    return results


def run(quick: bool = False) -> list[Row]:
    """The remote section's rows (skipped, with the reason, without nats-server or nats-py)."""
    try:
        import nats  # noqa: F401
    except ImportError:
        return [Row(section="remote", name="skipped (install .[nats])", ours=None)]
    if shutil.which("nats-server") is None:
        return [Row(section="remote", name="skipped (nats-server not installed)", ours=None)]
    with _nats_server() as url:
        starts: list[float] = []
        workers = []
        try:
            # Two workers serve the workflow (issue 20: "across two workers").
            for index in range(2 if quick else 3):
                process, seconds = _start_worker(url, workflow=index < 2)
                workers.append(process)
                starts.append(seconds)
            results = asyncio.run(_measure(url, quick))
        finally:
            for process in workers:
                process.terminate()
                process.wait(10)
    agents, n_burst = (8, 300) if quick else (8, 2000)
    return [
        Row(
            section="remote",
            name="token latency, worker yield -> caller, p50 (5 ms pacing)",
            ours=results["latency_p50"],
            anchor=results["latency_local_p50"],
            floor=results["latency_bare_p50"],
            goal="<= 2 ms",
            met=results["latency_p50"] <= 2.0,
            unit="ms",
            anchor_name="same agent in process",
            floor_name="bare nats-py relay",
            note=f"p99 {results['latency_p99']:.2f} ms",
        ),
        Row(
            section="remote",
            name=f"{agents} remote agents x {n_burst:,} tokens at once",
            ours=results["tps_remote"],
            anchor=results["tps_local"],
            floor=results["tps_bare"],
            ratio=results["tps_remote"] / results["tps_local"],
            goal="info only",
            unit="tokens/s",
            anchor_name="same agents in process",
            floor_name="bare nats-py relay",
            note="until every reply is complete at the caller (tokens arriving after their "
            "finished message are not waited for); the relay counts each token message, "
            "published by another process; ratio = remote / in process",
        ),
        Row(
            section="remote",
            name="4-step DAG (A -> B, C -> D) across the workers, median",
            ours=results["dag_ms"],
            anchor=GERMINATE_DAG_MS,
            floor=results["dag_local_ms"],
            ratio=GERMINATE_DAG_MS / results["dag_ms"],
            goal="info only",
            unit="ms",
            anchor_name="Germinate (issue 20)",
            floor_name="same steps in process",
            note="agent calls chained by hand, no workflow engine",
        ),
        Row(
            section="remote",
            name="4-task workflow (A -> B, C -> D) across two workers, end to end, median",
            ours=results["workflow_ms"],
            anchor=GERMINATE_DAG_MS,
            floor=results["workflow_local_ms"],
            ratio=GERMINATE_DAG_MS / results["workflow_ms"],
            goal="<= 100 ms",
            met=results["workflow_ms"] <= 100,
            unit="ms",
            anchor_name="Germinate (issue 20)",
            floor_name="same workflow in process",
            note="run_workflow(tasks_on=remote_tasks(url)), recorded into an in-memory session; "
            f"tasks ran on {results['workflow_workers']:.0f} workers",
        ),
        Row(
            section="remote",
            name="worker start to ready (spawn -> ready line), worst",
            ours=max(starts),
            anchor=RAY_START_S,
            ratio=RAY_START_S / max(starts),
            goal="<= 1 s",
            met=max(starts) <= 1.0,
            unit="s",
            anchor_name="Ray 2.60 ray.init (research §3.2)",
            note=f"{len(starts)} workers, median {statistics.median(starts):.2f} s; "
            f"{os.cpu_count()} CPUs",
        ),
    ]
