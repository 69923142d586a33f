"""Store benchmark: bulk insert, deep ancestor walk, search and run lookup on SQLiteStore.

Run with ``python -m benchmarks.store_bench``. Nodes and messages are built (and hashed)
before the timed region: the insert figure measures the store, not pydantic. Besides wall
time, the insert reports the CPU seconds of the whole process (both the event loop and the
SQLite thread), which other load on a shared machine disturbs far less.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ramify.core import Node, Run, RunStatus, SQLiteStore, UserMessage

TOTAL_NODES = 100_000
BATCH = 5_000
CHAIN = 1_000
DEEP = 1_500
WALKS = 20
SEARCHES = 20
LOOKUPS = 20
RUNS = 2_000
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")


def _build(total: int) -> tuple[list[Node], list[UserMessage]]:
    """Chains of `CHAIN` messages, each turn with a few varied words, as in a real session."""
    nodes: list[Node] = []
    messages: list[UserMessage] = []
    parent: str | None = None
    for index in range(total):
        if index % CHAIN == 0:
            parent = None
        words = " ".join(_WORDS[(index * k) % len(_WORDS)] for k in (1, 3, 7))
        message = UserMessage(text=f"message {index} about {words} number{index % 997}")
        node = Node(message=message.hash_key, parent=parent, sender="USER")
        parent = node.hash_key
        nodes.append(node)
        messages.append(message)
    return nodes, messages


def _deep_chain(depth: int) -> tuple[list[Node], list[UserMessage]]:
    nodes: list[Node] = []
    messages: list[UserMessage] = []
    parent: str | None = None
    for index in range(depth):
        message = UserMessage(text=f"deep turn {index}")
        node = Node(message=message.hash_key, parent=parent, sender="bot")
        parent = node.hash_key
        nodes.append(node)
        messages.append(message)
    return nodes, messages


def _runs(inputs: list[Node]) -> list[Run]:
    """Finished runs of 20 agents over `inputs`, as a long session's cache would hold them."""
    return [
        Run(
            session_id="bench",
            agent=f"agent{index % 20}",
            fingerprint=f"{index % 20:064x}",
            input_node=inputs[index % len(inputs)].hash_key,
            status=RunStatus.DONE,
            started_at=float(index),
            output_nodes=[inputs[(index + 1) % len(inputs)].hash_key],
        )
        for index in range(RUNS)
    ]


async def _measure(path: Path, total: int) -> dict[str, Any]:
    nodes, messages = _build(total)
    deep_nodes, deep_messages = _deep_chain(DEEP)
    for node in (*nodes, *deep_nodes):
        assert node.hash_key  # hash outside the timed region
    async with SQLiteStore(path) as store:
        started = time.perf_counter()
        cpu_started = time.process_time()
        for start in range(0, total, BATCH):
            await store.put_nodes(
                nodes[start : start + BATCH], messages[start : start + BATCH], session_id="bench"
            )
        insert_seconds = time.perf_counter() - started
        insert_cpu_seconds = time.process_time() - cpu_started
        await store.put_nodes(deep_nodes, deep_messages, session_id="bench")

        walk_ms = []
        for _ in range(WALKS):
            started = time.perf_counter()
            path_nodes = await store.path(deep_nodes[-1].hash_key)
            walk_ms.append((time.perf_counter() - started) * 1000)
        assert len(path_nodes) == DEEP

        search_ms = []
        hits = 0
        for index in range(SEARCHES):
            query = f"{_WORDS[index % len(_WORDS)]} number{index * 13}"
            started = time.perf_counter()
            hits += len(await store.search(query, limit=100))
            search_ms.append((time.perf_counter() - started) * 1000)
        session_search_ms = []
        for index in range(SEARCHES):
            started = time.perf_counter()
            await store.search(f"number{index}", session_id="bench", limit=100)
            session_search_ms.append((time.perf_counter() - started) * 1000)

        children_ms = []
        for index in range(LOOKUPS):
            parent = nodes[(index * 4999) % total].hash_key
            started = time.perf_counter()
            await store.children(parent, session_id="bench")
            children_ms.append((time.perf_counter() - started) * 1000)

        runs = _runs(deep_nodes)
        for run in runs:
            await store.put_run(run)
        find_ms = []
        for index in range(LOOKUPS):
            wanted = runs[-1 - index * 7]
            started = time.perf_counter()
            found = await store.find_run("bench", wanted.fingerprint, wanted.input_node)
            find_ms.append((time.perf_counter() - started) * 1000)
            assert found is not None

        started = time.perf_counter()
        await store.put_nodes(nodes[:1000], messages[:1000])
        dedupe_ms = (time.perf_counter() - started) * 1000
    return {
        "nodes": total,
        "batch": BATCH,
        "insert_nodes_per_s": round(total / insert_seconds),
        "insert_cpu_s": round(insert_cpu_seconds, 2),
        "walk_depth": DEEP,
        "walk_ms_median": round(statistics.median(walk_ms), 2),
        "walk_ms_max": round(max(walk_ms), 2),
        "search_ms_median": round(statistics.median(search_ms), 2),
        "session_search_ms_median": round(statistics.median(session_search_ms), 2),
        "search_hits": hits,
        "children_in_session_ms_median": round(statistics.median(children_ms), 2),
        "runs": RUNS,
        "find_run_ms_median": round(statistics.median(find_ms), 2),
        "reinsert_1000_existing_ms": round(dedupe_ms, 1),
        "db_mb": round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1),
    }


def run(total: int = TOTAL_NODES) -> dict[str, Any]:
    """Run the store benchmark in a temporary directory and return its results."""
    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(_measure(Path(directory) / "bench.sqlite3", total))


def _print(results: dict[str, Any]) -> None:
    targets = {"insert_nodes_per_s": ">= 30000", "walk_ms_median": "<= 20"}
    print(f"{'store (SQLite)':<32}{'value':>12}  target")
    for key, value in results.items():
        print(f"{key:<32}{value:>12}  {targets.get(key, '')}")


if __name__ == "__main__":
    _print(run())
