"""A session's life as the user manages it: created on first write, titled by its first message,
kept current, renamed and deleted; branches renamed and deleted without losing shared nodes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import (
    BranchNotFound,
    NothingToUndo,
    Session,
    SessionNotFound,
    SQLiteStore,
    Store,
    UserMessage,
)
from ramify.core.session import title_from_text
from tests.servers.stores import STORE_KINDS, new_store


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with new_store(request.param, request, tmp_path / "s.db") as backend:
        yield backend


async def test_a_lazy_session_is_stored_only_on_its_first_write(store: Store) -> None:
    session = await Session.create(store, lazy=True)
    await session.set_active_branch("main")
    assert await store.list_sessions() == []
    await session.append(UserMessage(text="hello"))
    assert [record.id for record in await store.list_sessions()] == [session.id]
    assert session.stored


async def test_deleting_a_never_stored_session_is_harmless(store: Store) -> None:
    session = await Session.create(store, lazy=True)
    await session.delete()
    assert await store.list_sessions() == []


async def test_the_first_message_titles_an_untitled_session(store: Store) -> None:
    session = await Session.create(store, lazy=True)
    await session.append(UserMessage(text="## Plan\n\nthe  [bold]trip[/] \x1b[2J to Lisbon"))
    await session.append(UserMessage(text="a later message"))
    assert session.title == "Plan the [bold]trip[/] [2J to Lisbon"
    assert (await store.get_session(session.id)).title == session.title


async def test_a_given_title_is_kept(store: Store) -> None:
    session = await Session.create(store, title="Mine")
    await session.append(UserMessage(text="hello"))
    assert (await store.get_session(session.id)).title == "Mine"


def test_title_from_text_is_one_short_line() -> None:
    title = title_from_text("word " * 40)
    assert len(title) <= 60
    assert title.endswith("word…")
    assert title_from_text("left\u202eright\tend") == "left right end"
    assert title_from_text("> quoted\nsecond line") == "quoted second line"
    assert title_from_text("\n\n") == ""


async def test_appending_makes_a_session_the_latest(store: Store) -> None:
    older = await Session.create(store, title="older")
    newer = await Session.create(store, title="newer")
    await newer.append(UserMessage(text="one"))
    await older.append(UserMessage(text="two"))
    assert [record.title for record in await store.list_sessions()] == ["older", "newer"]


async def test_delete_branch_leaves_the_rest_and_can_be_brought_back(store: Store) -> None:
    session = await Session.create(store)
    root = await session.append(UserMessage(text="root"))
    await session.append(UserMessage(text="on main"))
    await session.fork(root, "side")
    side = await session.append(UserMessage(text="on side"), branch="side")

    ref = await session.delete_branch("side")

    assert [b.name for b in await session.branches()] == ["main"]
    assert [n.hash_key for n in await session.children(root)] != []
    assert side.hash_key not in {n.hash_key for n in await store.session_nodes(session.id)}
    with pytest.raises(BranchNotFound):
        await session.delete_branch("side")
    await session.fork(ref.head, "side")
    assert (await session.head("side")) == side


async def test_undo_never_walks_into_a_deleted_branch_of_the_same_name(store: Store) -> None:
    session = await Session.create(store)
    root = await session.append(UserMessage(text="root"))
    await session.fork(root, "side")
    await session.append(UserMessage(text="gone"), branch="side")
    await session.delete_branch("side")
    await session.fork(root, "side")
    with pytest.raises(NothingToUndo):
        await session.undo("side")


async def test_rename_branch_keeps_undo_and_the_active_branch(store: Store) -> None:
    session = await Session.create(store)
    first = await session.append(UserMessage(text="first"))
    await session.append(UserMessage(text="second"))
    await session.rename_branch("main", "trunk")
    assert session.active_branch == "trunk"
    assert (await store.get_session(session.id)).active_branch == "trunk"
    assert await session.undo("trunk") == first


async def test_deleting_a_session_keeps_nodes_another_session_shares(store: Store) -> None:
    doomed = await Session.create(store)
    kept = await Session.create(store)
    root = await doomed.append(UserMessage(text="shared"))
    await kept.fork(root, "main")
    await doomed.delete()
    with pytest.raises(SessionNotFound):
        await Session.open(store, doomed.id)
    assert [n.hash_key for n in await kept.path("main")] == [root.hash_key]


async def test_two_connections_on_one_file_see_each_others_nodes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SQLiteStore(path) as one, SQLiteStore(path) as two:
        mine = await Session.create(one)
        await mine.append(UserMessage(text="from one"))
        theirs = await Session.open(two, mine.id)
        seen = await one.data_version()
        node = await theirs.append(UserMessage(text="from two"))
        assert await one.data_version() != seen
        assert (await mine.head("main")) == node
