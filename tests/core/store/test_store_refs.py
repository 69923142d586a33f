"""Branch heads in every store: compare-and-swap moves and the reflog."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramify.core import MemoryStore, NodeNotFound, RefConflict, SQLiteStore, Store

from .helpers import add, chain


async def test_creating_a_branch_sets_its_head_and_logs_it(store: Store) -> None:
    root = await add(store, "root")
    ref = await store.move_ref("s", "main", root.hash_key, expected=None, reason="create")
    assert ref.head == root.hash_key
    assert await store.get_ref("s", "main") == ref
    [entry] = await store.reflog("s", "main")
    assert (entry.old, entry.new, entry.reason) == (None, root.hash_key, "create")


async def test_creating_an_existing_branch_conflicts(store: Store) -> None:
    root = await add(store, "root")
    await store.move_ref("s", "main", root.hash_key, expected=None, reason="create")
    with pytest.raises(RefConflict):
        await store.move_ref("s", "main", root.hash_key, expected=None, reason="again")


async def test_stale_expected_head_raises_ref_conflict_and_leaves_head(store: Store) -> None:
    a, b, c = await chain(store, ["a", "b", "c"])
    await store.move_ref("s", "main", a.hash_key, expected=None, reason="create")
    await store.move_ref("s", "main", b.hash_key, expected=a.hash_key, reason="append")
    with pytest.raises(RefConflict, match="moved"):
        await store.move_ref("s", "main", c.hash_key, expected=a.hash_key, reason="stale")
    ref = await store.get_ref("s", "main")
    assert ref is not None
    assert ref.head == b.hash_key
    assert [e.reason for e in await store.reflog("s", "main")] == ["create", "append"]


async def test_branch_cannot_point_at_unknown_node(store: Store) -> None:
    with pytest.raises(NodeNotFound):
        await store.move_ref("s", "main", "3" * 64, expected=None, reason="create")


async def test_refs_are_per_session(store: Store) -> None:
    root = await add(store, "root")
    await store.move_ref("s1", "main", root.hash_key, expected=None, reason="create")
    assert await store.get_ref("s2", "main") is None
    assert [r.name for r in await store.list_refs("s1")] == ["main"]
    assert await store.list_refs("s2") == []


async def test_reflog_lists_all_branches_of_a_session_in_order(store: Store) -> None:
    a, b = await chain(store, ["a", "b"])
    await store.move_ref("s", "main", a.hash_key, expected=None, reason="1")
    await store.move_ref("s", "side", a.hash_key, expected=None, reason="2")
    await store.move_ref("s", "main", b.hash_key, expected=a.hash_key, reason="3")
    assert [e.reason for e in await store.reflog("s")] == ["1", "2", "3"]


async def test_concurrent_compare_and_swap_has_exactly_one_winner(store: Store) -> None:
    root = await add(store, "root")
    await store.move_ref("s", "main", root.hash_key, expected=None, reason="create")
    contenders = [await add(store, f"c{i}", root) for i in range(8)]
    start = asyncio.Event()

    async def contend(target: str) -> bool:
        await start.wait()
        try:
            await store.move_ref("s", "main", target, expected=root.hash_key, reason="race")
        except RefConflict:
            return False
        return True

    tasks = [asyncio.create_task(contend(node.hash_key)) for node in contenders]
    start.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 1
    ref = await store.get_ref("s", "main")
    assert ref is not None
    assert ref.head == contenders[results.index(True)].hash_key


async def _race(stores: list[Store], writers: int, order: list[int]) -> None:
    """Let `writers` tasks CAS the same head at once, spread over `stores`; one must win."""
    first = stores[0]
    root = await add(first, "root")
    await first.move_ref("s", "main", root.hash_key, expected=None, reason="create")
    nodes = [await add(first, f"w{i}", root) for i in range(writers)]
    gate = asyncio.Event()
    wins: list[int] = []

    async def writer(index: int) -> None:
        await gate.wait()
        try:
            await stores[index % len(stores)].move_ref(
                "s", "main", nodes[index].hash_key, expected=root.hash_key, reason="w"
            )
            wins.append(index)
        except RefConflict:
            pass

    tasks = [asyncio.create_task(writer(i)) for i in order]
    gate.set()
    await asyncio.gather(*tasks)
    assert len(wins) == 1
    for each in stores:
        ref = await each.get_ref("s", "main")
        assert ref is not None
        assert ref.head == nodes[wins[0]].hash_key
    assert len(await first.reflog("s", "main")) == 2


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    backend=st.sampled_from(["memory", "sqlite", "sqlite-two-connections"]),
    order=st.lists(st.integers(0, 11), min_size=2, max_size=12, unique=True),
)
def test_property_exactly_one_cas_writer_wins(backend: str, order: list[int]) -> None:
    async def scenario(directory: str) -> None:
        writers = max(order) + 1
        if backend == "memory":
            await _race([MemoryStore()], writers, order)
            return
        path = Path(directory) / "race.db"
        async with SQLiteStore(path) as one, SQLiteStore(path) as two:
            await _race([one, two] if backend.endswith("connections") else [one], writers, order)

    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(scenario(directory))
