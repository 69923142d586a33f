"""Store benchmark: bulk insert, deep ancestor walk, search, run lookup and ref
compare-and-swap, on SQLiteStore and PostgresStore side by side.

Run with ``python -m benchmarks.store_bench`` (both stores, one table; PostgreSQL on a private
server started for the run, with PostgreSQL's default durability: fsync and synchronous
commit on). `run()` returns the SQLite figures alone, for ``python -m benchmarks``. Nodes and
messages are built (and hashed) before the timed region: the insert figure measures the store,
not pydantic. Besides wall time, the insert reports the CPU seconds of the whole process (the
event loop and, for SQLite, its thread), which other load on a shared machine disturbs far
less; a PostgreSQL server's own CPU is not in it.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ramify.core import Node, RefConflict, Run, RunStatus, SQLiteStore, Store, UserMessage

TOTAL_NODES = 100_000
BATCH = 5_000
CHAIN = 1_000
DEEP = 1_500
WALKS = 20
SEARCHES = 20
LOOKUPS = 20
RUNS = 2_000
CAS_ATTEMPTS = 400
"""Compare-and-swap attempts by each of the two concurrent writers."""
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


async def _measure(
    open_store: Callable[[], Store], total: int, size_mb: Callable[[Store], Any]
) -> dict[str, Any]:
    nodes, messages = _build(total)
    deep_nodes, deep_messages = _deep_chain(DEEP)
    for node in (*nodes, *deep_nodes):
        assert node.hash_key  # hash outside the timed region
    async with open_store() as store:
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
        db_mb = await size_mb(store)
    async with open_store() as one, open_store() as two:
        cas_per_s, cas_wins = await _cas_race(one, two)
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
        "db_mb": db_mb,
        "cas_round_trips_per_s": cas_per_s,
        "cas_wins": cas_wins,
    }


async def _cas_race(one: Store, two: Store) -> tuple[int, int]:
    """Two writers (two connections) move one branch by compare-and-swap as fast as they can,
    each reading the head and then trying to move it: attempts per second, and how many won."""
    root = UserMessage(text="cas root")
    root_node = Node(message=root.hash_key, sender="USER")
    await one.put_node(root_node, root, session_id="cas")
    targets: list[Node] = []
    target_messages: list[UserMessage] = []
    for index in range(2 * CAS_ATTEMPTS):
        message = UserMessage(text=f"cas {index}")
        targets.append(Node(message=message.hash_key, parent=root_node.hash_key, sender="USER"))
        target_messages.append(message)
    await one.put_nodes(targets, target_messages, session_id="cas")
    await one.move_ref("cas", "main", root_node.hash_key, expected=None, reason="create")
    gate = asyncio.Event()

    async def writer(store: Store, mine: list[Node]) -> int:
        await gate.wait()
        wins = 0
        for node in mine:
            ref = await store.get_ref("cas", "main")
            assert ref is not None
            try:
                await store.move_ref("cas", "main", node.hash_key, expected=ref.head, reason="b")
            except RefConflict:
                continue
            wins += 1
        return wins

    tasks = [
        asyncio.create_task(writer(one, targets[:CAS_ATTEMPTS])),
        asyncio.create_task(writer(two, targets[CAS_ATTEMPTS:])),
    ]
    started = time.perf_counter()
    gate.set()
    wins = sum(await asyncio.gather(*tasks))
    seconds = time.perf_counter() - started
    # Every win is one reflog entry more: the race lost no move and invented none.
    assert len(await one.reflog("cas", "main")) == wins + 1
    return round(2 * CAS_ATTEMPTS / seconds), wins


async def _file_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1)


def run(total: int = TOTAL_NODES) -> dict[str, Any]:
    """Run the store benchmark on SQLite in a temporary directory and return its results."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.sqlite3"
        return asyncio.run(
            _measure(lambda: SQLiteStore(path), total, lambda _store: _file_mb(path))
        )


async def _database_mb(store: Store) -> float:
    rows = await store._read("SELECT pg_database_size(current_database())")  # type: ignore[attr-defined]
    return round(rows[0][0] / 1e6, 1)


def run_postgres(total: int = TOTAL_NODES) -> dict[str, Any]:
    """Run the store benchmark on a private PostgreSQL server and return its results."""
    from ramify.core.store.postgres import PostgresStore
    from ramify.core.testing.postgres_server import PostgresServer

    with PostgresServer(durable=True) as server:
        dsn = server.dsn()
        return asyncio.run(_measure(lambda: PostgresStore(dsn), total, _database_mb))


_TARGETS = {"insert_nodes_per_s": ">= 20000 (PG), 30000 (SQLite)", "walk_ms_median": "<= 20"}


def _print(sqlite: dict[str, Any], postgres: dict[str, Any] | str) -> None:
    print(f"{'measure':<32}{'SQLite':>12}{'PostgreSQL':>14}  target")
    for key, value in sqlite.items():
        other = postgres.get(key, "") if isinstance(postgres, dict) else ""
        print(f"{key:<32}{value:>12}{other:>14}  {_TARGETS.get(key, '')}")
    if isinstance(postgres, str):
        print(f"PostgreSQL: {postgres}")


def main(total: int = TOTAL_NODES) -> None:
    """Both stores, one table (PostgreSQL is skipped, saying why, without a server)."""
    from ramify.core.testing.postgres_server import ServerUnavailable

    sqlite = run(total)
    postgres: dict[str, Any] | str
    try:
        postgres = run_postgres(total)
    except (ServerUnavailable, ImportError) as error:
        postgres = f"skipped ({error})"
    _print(sqlite, postgres)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else TOTAL_NODES)
