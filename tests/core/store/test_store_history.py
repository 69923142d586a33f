"""`Store.put_branch_history` and `Store.import_digests`: what a copy between stores writes."""

from __future__ import annotations

import pytest

from ramify.core import NodeNotFound, RefConflict, SessionRecord, Store
from ramify.core.tree import ReflogEntry

from .helpers import chain


def _entry(name: str, old: str | None, new: str, at: float) -> ReflogEntry:
    return ReflogEntry(session_id="s", name=name, old=old, new=new, reason="copied", at=at)


async def test_heads_and_entries_are_written_as_given(store: Store) -> None:
    a, b = await chain(store, ["a", "b"], session_id="s")
    entries = [_entry("main", None, a.hash_key, 5.0), _entry("main", a.hash_key, b.hash_key, 7.25)]
    await store.put_branch_history(
        "s", {"main": b.hash_key}, expected={"main": None}, reflog=entries
    )
    ref = await store.get_ref("s", "main")
    assert ref is not None
    assert ref.head == b.hash_key
    assert await store.reflog("s") == entries


async def test_a_moved_head_refuses_the_whole_write(store: Store) -> None:
    a, b = await chain(store, ["a", "b"], session_id="s")
    await store.move_ref("s", "main", a.hash_key, expected=None, reason="start")
    before = await store.reflog("s")
    with pytest.raises(RefConflict):
        await store.put_branch_history(
            "s",
            {"side": a.hash_key, "main": b.hash_key},
            expected={"side": None, "main": None},
            reflog=[_entry("side", None, a.hash_key, 1.0)],
            digests=["d1"],
        )
    assert await store.reflog("s") == before
    assert await store.get_ref("s", "side") is None
    assert await store.import_digests("s") == []


async def test_an_unknown_head_is_refused(store: Store) -> None:
    with pytest.raises(NodeNotFound):
        await store.put_branch_history("s", {"main": "ab" * 32}, expected={"main": None})


async def test_removing_a_head_forgets_the_nodes_only_it_reached(store: Store) -> None:
    root, only_here = await chain(store, ["root", "only here"], session_id="s")
    await store.move_ref("s", "main", root.hash_key, expected=None, reason="start")
    await store.move_ref("s", "gone", only_here.hash_key, expected=None, reason="start")
    await store.put_branch_history("s", {"gone": None}, expected={"gone": only_here.hash_key})
    assert await store.get_ref("s", "gone") is None
    assert [node.hash_key for node in await store.session_nodes("s")] == [root.hash_key]
    assert len(await store.reflog("s")) == 2


async def test_a_digest_opening_another_session_keeps_opening_it(store: Store) -> None:
    for sid in ("s", "t"):
        await store.put_session(SessionRecord(id=sid, created_at=1.0, updated_at=1.0))
    await store.put_branch_history("t", {}, expected={}, digests=["shared"])
    await store.put_branch_history("s", {}, expected={}, digests=["shared", "own"])
    assert await store.import_digests("s") == ["own"]
    assert await store.import_digests("t") == ["shared"]
    assert await store.imported_session("own") == "s"


async def test_entries_of_another_session_are_refused(store: Store) -> None:
    (root,) = await chain(store, ["root"], session_id="s")
    stray = ReflogEntry(session_id="t", name="x", old=None, new=root.hash_key, reason="r", at=1)
    with pytest.raises(ValueError, match="session 't'"):
        await store.put_branch_history("s", {}, expected={}, reflog=[stray])
