"""Session tree operations over both stores: append, fork, edit, forward, undo, UI state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import (
    AssistantMessage,
    NothingToUndo,
    Ref,
    RefConflict,
    Run,
    RunStatus,
    Session,
    SessionNotFound,
    SQLiteStore,
    Store,
    UserMessage,
)
from tests.servers.stores import STORE_KINDS, new_store


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with new_store(request.param, request, tmp_path / "s.db") as backend:
        yield backend


async def _conversation(session: Session, turns: int = 4) -> list[str]:
    hashes = []
    for index in range(turns):
        sender = "USER" if index % 2 == 0 else "bot"
        message = (
            UserMessage(text=f"turn {index}")
            if sender == "USER"
            else AssistantMessage(text=f"reply {index}")
        )
        hashes.append((await session.append(message, sender=sender, branch="main")).hash_key)
    return hashes


async def test_create_then_open_gives_the_same_session(store: Store) -> None:
    session = await Session.create(store, title="demo")
    same = await Session.open(store, session.id)
    assert (same.id, same.title, same.active_branch) == (session.id, "demo", "main")


async def test_open_unknown_session_raises(store: Store) -> None:
    with pytest.raises(SessionNotFound):
        await Session.open(store, "missing")


async def test_append_starts_a_root_then_chains(store: Store) -> None:
    session = await Session.create(store)
    hi = await session.append(UserMessage(text="hi"), sender="USER", branch="main")
    yo = await session.append(AssistantMessage(text="yo"), sender="bot", branch="main")
    assert hi.parent is None
    assert yo.parent == hi.hash_key
    assert [n.hash_key for n in await session.path("main")] == [hi.hash_key, yo.hash_key]
    assert [str(m) for _, m in await session.path_messages("main")] == ["hi", "yo"]


async def test_append_defaults_to_the_active_branch(store: Store) -> None:
    session = await Session.create(store, active_branch="work")
    await session.append(UserMessage(text="x"))
    assert [r.name for r in await session.branches()] == ["work"]


async def test_append_to_new_branch_under_given_parent(store: Store) -> None:
    session = await Session.create(store)
    first, second = (await _conversation(session, 2))[:2]
    node = await session.append(UserMessage(text="alt"), branch="alt", parent=first[:8])
    assert node.parent == first
    assert second != node.hash_key


async def test_append_with_parent_other_than_head_is_refused(store: Store) -> None:
    session = await Session.create(store)
    first, _ = await _conversation(session, 2)
    with pytest.raises(ValueError, match="new branch"):
        await session.append(UserMessage(text="x"), branch="main", parent=first)


async def test_append_records_run_id_and_sender(store: Store) -> None:
    session = await Session.create(store)
    node = await session.append(AssistantMessage(text="out"), sender="agent", run_id="r1")
    stored = await session.resolve(node.hash_key)
    assert (stored.sender, stored.run_id) == ("agent", "r1")


async def test_fork_leaves_original_branch_untouched(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session)
    count = await store.count_nodes()
    await session.fork(hashes[1], "side")
    await session.append(UserMessage(text="side turn"), branch="side")
    assert [n.hash_key for n in await session.path("main")] == hashes
    side = [n.hash_key for n in await session.path("side")]
    assert side[:2] == hashes[:2]
    assert len(side) == 3
    assert await store.count_nodes() == count + 1


async def test_fork_onto_existing_name_conflicts(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session, 2)
    with pytest.raises(RefConflict):
        await session.fork(hashes[0], "main")


async def test_fork_of_a_node_from_another_session_brings_its_path_into_this_one(
    store: Store,
) -> None:
    # Nodes are global and content-addressed; a fork of one reached by hash makes it, and
    # its ancestors, part of this session (children, search and export see them).
    origin = await Session.create(store)
    hashes = await _conversation(origin)
    other = await Session.create(store)
    await other.fork(hashes[2], "borrowed")
    assert [n.hash_key for n in await other.path("borrowed")] == hashes[:3]
    assert [n.hash_key for n in await other.children(hashes[1])] == [hashes[2]]
    assert [n.hash_key for n in await other.search("turn 2")] == [hashes[2]]
    assert [n.hash_key for n in await origin.path("main")] == hashes
    assert [ref.name for ref in await origin.branches()] == ["main"]
    exported = await other.export_markdown("tree", "borrowed")
    assert "turn 2" in exported
    assert "reply 3" not in exported


async def test_edit_makes_a_sibling_on_a_new_branch(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session)
    edited = await session.edit(hashes[2], UserMessage(text="turn 2, better"))
    assert edited.parent == hashes[1]
    assert edited.sender == "USER"
    assert [n.hash_key for n in await session.path("main")] == hashes
    assert (await session.head("edit-1")) == edited
    again = await session.edit(hashes[2], UserMessage(text="third try"))
    assert (await session.head("edit-2")) == again
    assert {n.hash_key for n in await session.children(hashes[1])} == {
        hashes[2],
        edited.hash_key,
        again.hash_key,
    }


async def test_edit_of_root_makes_a_new_root(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session, 2)
    edited = await session.edit(hashes[0], UserMessage(text="new start"), branch="restart")
    assert edited.parent is None
    assert [n.hash_key for n in await session.path("restart")] == [edited.hash_key]


async def test_forward_carries_message_and_provenance(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session, 2)
    await session.append(UserMessage(text="elsewhere"), branch="other")
    forwarded = await session.forward(hashes[1], "other")
    source = await session.resolve(hashes[1])
    assert forwarded.message == source.message
    assert forwarded.forwarded_from == source.hash_key
    assert (await session.message(forwarded)).text == "reply 1"
    assert (await session.head("other")) == forwarded


async def test_path_prefers_branch_name_over_prefix(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session, 3)
    name = hashes[0][:6]
    await session.fork(hashes[1], name)
    assert len(await session.path(name)) == 2
    assert len(await session.path(hashes[2][:6])) == 3


async def test_nodes_accepted_as_node_hash_or_prefix(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session, 2)
    node = await session.resolve(hashes[1])
    for form in (node, node.hash_key, node.hash_key[:7]):
        assert (await session.message(form)).text == "reply 1"
        assert len(await session.path(form)) == 2


async def test_messages_of_many_nodes_in_order(store: Store) -> None:
    session = await Session.create(store)
    await _conversation(session, 4)
    nodes = await session.path("main")
    assert [m.text for m in await session.messages(nodes[::-1])] == [
        "reply 3",
        "turn 2",
        "reply 1",
        "turn 0",
    ]


async def test_search_spans_branches_of_this_session_only(store: Store) -> None:
    session = await Session.create(store)
    other = await Session.create(store)
    hashes = await _conversation(session, 2)
    await session.edit(hashes[0], UserMessage(text="turn zebra"))
    await other.append(UserMessage(text="zebra elsewhere"))
    assert [(await session.message(n)).text for n in await session.search("zebra")] == [
        "turn zebra"
    ]


async def test_children_of_shared_root_are_per_session(store: Store) -> None:
    one = await Session.create(store)
    two = await Session.create(store)
    root = await one.append(UserMessage(text="same start"))
    assert (await two.append(UserMessage(text="same start"))) == root
    await one.append(UserMessage(text="one's"))
    await two.append(UserMessage(text="two's"))
    assert [(await one.message(n)).text for n in await one.children(root)] == ["one's"]


async def test_undo_walks_back_and_never_deletes(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session, 3)
    count = await store.count_nodes()
    assert (await session.undo("main")).hash_key == hashes[1]
    assert (await session.undo("main")).hash_key == hashes[0]
    with pytest.raises(NothingToUndo):
        await session.undo("main")
    assert await store.count_nodes() == count
    await session.append(UserMessage(text="after undo"))
    assert (await session.undo("main")).hash_key == hashes[0]


async def test_concurrent_appends_on_one_branch_all_land_in_a_chain(store: Store) -> None:
    session = await Session.create(store)
    gate = asyncio.Event()

    async def write(index: int) -> None:
        await gate.wait()
        await session.append(UserMessage(text=f"m{index}"), branch="main")

    tasks = [asyncio.create_task(write(i)) for i in range(10)]
    gate.set()
    await asyncio.gather(*tasks)
    path = await session.path("main")
    assert len(path) == 10
    assert sorted(m.text for m in await session.messages(path)) == sorted(
        f"m{i}" for i in range(10)
    )


async def test_second_session_object_on_stale_head_gets_ref_conflict(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    async with SQLiteStore(path) as first_store, SQLiteStore(path) as second_store:
        first = await Session.create(first_store)
        await first.append(UserMessage(text="start"))
        second = await Session.open(second_store, first.id)
        read_stale_head = asyncio.Event()
        first_wrote = asyncio.Event()
        real_get_ref = second_store.get_ref

        async def get_ref_then_pause(session_id: str, name: str) -> Ref | None:
            # The second writer reads the head, then the first writer moves it.
            ref = await real_get_ref(session_id, name)
            read_stale_head.set()
            await first_wrote.wait()
            return ref

        second_store.get_ref = get_ref_then_pause  # type: ignore[method-assign]
        late = asyncio.create_task(second.append(UserMessage(text="b")))
        await read_stale_head.wait()
        await first.append(UserMessage(text="a"))
        first_wrote.set()
        with pytest.raises(RefConflict):
            await late
        texts = [message.text for message in await first.messages(await first.path("main"))]
        assert texts == ["start", "a"]
        assert len(await first.reflog("main")) == 2


async def test_ui_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ui.db"
    async with SQLiteStore(path) as store:
        session = await Session.create(store, title="t")
        hashes = await _conversation(session, 2)
        alt = await session.edit(hashes[1], AssistantMessage(text="alt"))
        await session.set_title("renamed")
        await session.set_active_branch("edit-1")
        await session.remember_child(hashes[0], alt)
    async with SQLiteStore(path) as store:
        again = await Session.open(store, session.id)
        assert (again.title, again.active_branch) == ("renamed", "edit-1")
        assert await again.remembered_child(hashes[0][:8]) == alt
        assert await again.remembered_child(hashes[1]) is None


async def test_remember_child_rejects_a_non_child(store: Store) -> None:
    session = await Session.create(store)
    hashes = await _conversation(session, 3)
    with pytest.raises(ValueError, match="not a child"):
        await session.remember_child(hashes[0], hashes[2])


async def test_runs_saved_through_the_session(store: Store) -> None:
    session = await Session.create(store)
    run = await session.save_run(Run(agent="echo"))
    child = await session.save_run(Run(agent="inner", parent_run_id=run.id))
    run.status = RunStatus.DONE
    await session.save_run(run)
    assert (await session.get_run(run.id)).status is RunStatus.DONE
    assert [r.id for r in await session.runs()] == [run.id, child.id]
    assert [r.id for r in await session.runs(parent_run_id=run.id)] == [child.id]
