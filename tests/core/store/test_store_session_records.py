"""Sessions and branches as things the user manages, in every store: last use, titles, deleting
and renaming, and summaries for the session list."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ramify.core import (
    BranchNotFound,
    RefConflict,
    SessionNotFound,
    SessionRecord,
    SQLiteStore,
    Store,
)
from ramify.core.store.base import REASON_DELETE

from .helpers import add, chain


async def _session(store: Store, session_id: str, title: str = "") -> SessionRecord:
    now = time.time()
    record = SessionRecord(id=session_id, title=title, created_at=now, updated_at=now)
    await store.put_session(record)
    return record


async def test_a_branch_move_marks_its_session_most_recently_used(store: Store) -> None:
    await _session(store, "old")
    await _session(store, "new")
    assert [r.id for r in await store.list_sessions()] == ["new", "old"]
    root = await add(store, "hello", session_id="old")
    await store.move_ref("old", "main", root.hash_key, expected=None, reason="append")
    assert [r.id for r in await store.list_sessions()] == ["old", "new"]
    child = await add(store, "again", root, session_id="new")
    await store.move_ref("new", "main", child.hash_key, expected=None, reason="append")
    assert [r.id for r in await store.list_sessions()] == ["new", "old"]


async def test_rename_session_changes_only_the_title(store: Store) -> None:
    record = await _session(store, "s", "first")
    await store.rename_session("s", "second")
    stored = await store.get_session("s")
    assert stored.title == "second"
    assert stored.active_branch == record.active_branch
    assert stored.updated_at >= record.updated_at
    with pytest.raises(SessionNotFound):
        await store.rename_session("nosuch", "x")


async def test_delete_session_keeps_nodes_another_session_holds(store: Store) -> None:
    await _session(store, "doomed")
    await _session(store, "other")
    shared = await chain(store, ["shared root", "shared reply"], session_id="doomed")
    await store.put_nodes(shared, session_id="other")
    own = await add(store, "only in doomed", shared[-1], session_id="doomed")
    await store.move_ref("doomed", "main", own.hash_key, expected=None, reason="append")
    await store.move_ref("other", "main", shared[-1].hash_key, expected=None, reason="append")

    await store.delete_session("doomed")

    with pytest.raises(SessionNotFound):
        await store.get_session("doomed")
    assert [r.id for r in await store.list_sessions()] == ["other"]
    assert await store.list_refs("doomed") == []
    assert await store.reflog("doomed") == []
    assert await store.session_nodes("doomed") == []
    other = {node.hash_key for node in await store.session_nodes("other")}
    assert other == {node.hash_key for node in shared}
    assert [n.hash_key for n in await store.path(shared[-1].hash_key)] == [
        n.hash_key for n in shared
    ]
    with pytest.raises(SessionNotFound):
        await store.delete_session("doomed")


async def test_delete_ref_logs_the_last_head_and_keeps_what_other_branches_reach(
    store: Store,
) -> None:
    await _session(store, "s")
    a, b, c = await chain(store, ["a", "b", "c"], session_id="s")
    side = await add(store, "side", b, session_id="s")
    await store.move_ref("s", "main", c.hash_key, expected=None, reason="append")
    await store.move_ref("s", "side", side.hash_key, expected=None, reason="fork")

    await store.delete_ref("s", "side", expected=side.hash_key)

    assert [ref.name for ref in await store.list_refs("s")] == ["main"]
    last = (await store.reflog("s", "side"))[-1]
    assert (last.old, last.new, last.reason) == (side.hash_key, side.hash_key, REASON_DELETE)
    members = {node.hash_key for node in await store.session_nodes("s")}
    assert members == {a.hash_key, b.hash_key, c.hash_key}
    assert (await store.get_node(side.hash_key)).hash_key == side.hash_key


async def test_delete_ref_keeps_nodes_of_another_session(store: Store) -> None:
    await _session(store, "s")
    await _session(store, "t")
    nodes = await chain(store, ["a", "b"], session_id="s")
    await store.put_nodes(nodes, session_id="t")
    await store.move_ref("s", "main", nodes[-1].hash_key, expected=None, reason="append")
    await store.move_ref("t", "main", nodes[-1].hash_key, expected=None, reason="append")
    await store.move_ref("s", "keep", nodes[0].hash_key, expected=None, reason="fork")

    await store.delete_ref("s", "main", expected=nodes[-1].hash_key)

    assert {n.hash_key for n in await store.session_nodes("s")} == {nodes[0].hash_key}
    assert {n.hash_key for n in await store.session_nodes("t")} == {n.hash_key for n in nodes}


async def test_delete_ref_checks_the_head_and_the_name(store: Store) -> None:
    await _session(store, "s")
    a, b = await chain(store, ["a", "b"], session_id="s")
    await store.move_ref("s", "main", b.hash_key, expected=None, reason="append")
    with pytest.raises(RefConflict):
        await store.delete_ref("s", "main", expected=a.hash_key)
    with pytest.raises(BranchNotFound):
        await store.delete_ref("s", "nosuch", expected=a.hash_key)
    assert (await store.get_ref("s", "main")) is not None


async def test_rename_ref_moves_head_reflog_and_active_branch(store: Store) -> None:
    await _session(store, "s")
    a, b = await chain(store, ["a", "b"], session_id="s")
    await store.move_ref("s", "main", a.hash_key, expected=None, reason="append")
    await store.move_ref("s", "main", b.hash_key, expected=a.hash_key, reason="append")
    await store.move_ref("s", "taken", a.hash_key, expected=None, reason="fork")

    with pytest.raises(RefConflict):
        await store.rename_ref("s", "main", "taken")
    with pytest.raises(BranchNotFound):
        await store.rename_ref("s", "nosuch", "free")

    ref = await store.rename_ref("s", "main", "trunk")

    assert ref.head == b.hash_key
    assert await store.get_ref("s", "main") is None
    assert (await store.get_ref("s", "trunk")) == ref
    assert [e.reason for e in await store.reflog("s", "trunk")] == [
        "append",
        "append",
        "rename from main",
    ]
    assert (await store.get_session("s")).active_branch == "trunk"


async def test_summaries_count_messages_and_show_the_first_one(store: Store) -> None:
    await _session(store, "empty")
    await _session(store, "full", "Full")
    nodes = await chain(store, ["the opening words", "a reply"], session_id="full")
    await store.move_ref("full", "main", nodes[-1].hash_key, expected=None, reason="append")

    summaries = await store.session_summaries()

    assert [(s.record.id, s.message_count, s.first_text) for s in summaries] == [
        ("full", 2, "the opening words"),
        ("empty", 0, ""),
    ]


async def test_data_version_moves_when_another_connection_commits(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SQLiteStore(path) as mine, SQLiteStore(path) as theirs:
        before = await mine.data_version()
        await _session(mine, "s")
        assert await mine.data_version() == before  # our own commits do not count
        await _session(theirs, "t")
        assert await mine.data_version() != before
