"""`copy_store`: sessions copied between any two stores keep their hashes, branches, reflog,
runs, records and import digests; copying again changes nothing; a later copy merges."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ramify.core import (
    USER,
    MemoryStore,
    Ramify,
    RefConflict,
    Session,
    SessionNotFound,
    UserMessage,
)
from ramify.core.store.copy import copy_store

from .conftest import opened_store
from .helpers import picture, populate, whole_picture

PAIRS = [
    ("memory", "sqlite"),
    ("sqlite", "memory"),
    ("sqlite", "sqlite"),
    ("sqlite", "postgres"),
    ("postgres", "sqlite"),
    ("postgres", "postgres"),
]


@pytest.mark.parametrize(("source", "target"), PAIRS)
async def test_a_copy_holds_every_session_exactly_as_the_source(
    source: str, target: str, tmp_path: Path
) -> None:
    async with (
        opened_store(source, tmp_path, "src") as src,
        opened_store(target, tmp_path, "dst") as dst,
        Ramify(),
    ):
        ids = await populate(src)
        copies = await copy_store(src, dst)
        assert sorted(copy.session_id for copy in copies) == sorted(ids)
        assert await whole_picture(dst) == await whole_picture(src)
        # The copied session works: its imported file reopens it, and it can grow.
        (imported_id,) = [i for i in ids if (await dst.get_session(i)).title != "rich"][:1]
        assert await dst.import_digests(imported_id) == await src.import_digests(imported_id)
        copied = await Session.open(dst, ids[0])
        await copied.append(UserMessage(text="after the copy"), branch="main")


@pytest.mark.parametrize(("source", "target"), PAIRS)
async def test_copying_twice_changes_nothing(source: str, target: str, tmp_path: Path) -> None:
    async with (
        opened_store(source, tmp_path, "src") as src,
        opened_store(target, tmp_path, "dst") as dst,
        Ramify(),
    ):
        await populate(src)
        await copy_store(src, dst)
        once = await whole_picture(dst)
        again = await copy_store(src, dst)
        assert await whole_picture(dst) == once
        assert all(not c.moved and not c.diverged and c.nodes == 0 for c in again)
        assert all(c.reflog_entries == 0 for c in again)


@pytest.mark.parametrize(("source", "target"), PAIRS)
async def test_a_later_copy_brings_what_the_source_did_since(
    source: str, target: str, tmp_path: Path
) -> None:
    async with (
        opened_store(source, tmp_path, "src") as src,
        opened_store(target, tmp_path, "dst") as dst,
        Ramify(),
    ):
        rich_id, *_ = await populate(src)
        await copy_store(src, dst)
        session = await Session.open(src, rich_id)
        await session.append(UserMessage(text="later"), branch="main")
        await session.fork(await session.head("main"), "later-branch")  # type: ignore[arg-type]
        await session.delete_branch("aside")
        await session.undo("main")
        copies = await copy_store(src, dst, sessions=[rich_id])
        assert await whole_picture(dst) == await whole_picture(src)
        # main moved on and was undone: back at its head, with both moves in its reflog.
        assert sorted(copies[0].moved) == ["aside", "later-branch"]


@pytest.mark.parametrize(("source", "target"), PAIRS)
async def test_a_branch_moved_in_both_stores_keeps_both_heads(
    source: str, target: str, tmp_path: Path
) -> None:
    async with (
        opened_store(source, tmp_path, "src") as src,
        opened_store(target, tmp_path, "dst") as dst,
        Ramify(),
    ):
        rich_id, *_ = await populate(src)
        await copy_store(src, dst)
        theirs = await (await Session.open(src, rich_id)).append(
            UserMessage(text="in the source"), branch="main", sender=USER
        )
        ours = await (await Session.open(dst, rich_id)).append(
            UserMessage(text="in the destination"), branch="main", sender=USER
        )
        ours_log = await dst.reflog(rich_id, "main")
        (copy,) = await copy_store(src, dst, sessions=[rich_id])
        assert copy.diverged == {"main": "main-copy-1"}
        main, kept = await dst.get_ref(rich_id, "main"), await dst.get_ref(rich_id, "main-copy-1")
        assert main is not None
        assert main.head == ours.hash_key
        assert kept is not None
        assert kept.head == theirs.hash_key
        assert await dst.reflog(rich_id, "main") == ours_log
        [created] = await dst.reflog(rich_id, "main-copy-1")
        assert (created.old, created.new, created.reason) == (None, theirs.hash_key, "copy of main")
        settled = await whole_picture(dst)
        await copy_store(src, dst, sessions=[rich_id])
        assert await whole_picture(dst) == settled


async def test_one_session_copies_alone_with_the_nodes_it_points_outside_to(
    tmp_path: Path,
) -> None:
    async with (
        opened_store("sqlite", tmp_path, "src") as src,
        opened_store("sqlite", tmp_path, "dst") as dst,
        Ramify(),
    ):
        _, _, forwarding_id = await populate(src)
        await copy_store(src, dst, sessions=[forwarding_id[:8]])
        assert [record.id for record in await dst.list_sessions()] == [forwarding_id]
        assert await picture(dst, forwarding_id) == await picture(src, forwarding_id)
        copied = await Session.open(dst, forwarding_id)
        forwarded = await copied.head("main")
        assert forwarded is not None
        assert forwarded.forwarded_from is not None
        source = await dst.get_node(forwarded.forwarded_from)
        assert source.hash_key == forwarded.forwarded_from
        assert (await dst.get_message(source.message)).text == "seen 1"


async def test_an_unknown_session_name_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    async with (
        opened_store("memory", tmp_path) as src,
        opened_store("sqlite", tmp_path, "dst") as dst,
        Ramify(),
    ):
        await populate(src)
        with pytest.raises(SessionNotFound, match="'nope'"):
            await copy_store(src, dst, sessions=["nope"])
        assert await dst.count_nodes() == 0


class _WrittenToMeanwhile(MemoryStore):
    """A memory store that another writer writes to just before the copy's branch write."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], Awaitable[object]] | None = None

    async def put_branch_history(self, *args: Any, **kwargs: Any) -> None:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            await meanwhile()
        await super().put_branch_history(*args, **kwargs)


async def test_a_branch_moved_during_the_copy_fails_it_cleanly_and_a_rerun_merges(
    tmp_path: Path,
) -> None:
    dst = _WrittenToMeanwhile()
    async with opened_store("sqlite", tmp_path, "src") as src, dst, Ramify():
        rich_id, *_ = await populate(src)
        await copy_store(src, dst, sessions=[rich_id])
        await (await Session.open(src, rich_id)).append(UserMessage(text="new"), branch="main")
        other = await Session.open(dst, rich_id)
        dst.meanwhile = lambda: other.append(UserMessage(text="theirs"), branch="main")
        with pytest.raises(RefConflict, match="run the copy again"):
            await copy_store(src, dst, sessions=[rich_id])
        (copy,) = await copy_store(src, dst, sessions=[rich_id])
        assert copy.diverged == {"main": "main-copy-1"}
        kept, theirs = await dst.get_ref(rich_id, "main-copy-1"), await src.get_ref(rich_id, "main")
        assert kept is not None
        assert theirs is not None
        assert kept.head == theirs.head
        main = await other.head("main")
        assert main is not None
        assert (await other.message(main)).text == "theirs"
