"""Session-level behaviour on every store kind: inquire, rerun, export and import must come
out the same whichever store holds the session."""

from __future__ import annotations

from pathlib import Path

from ramify.core import (
    USER,
    InteractionContext,
    Ramify,
    RunStatus,
    Session,
    Store,
    UserMessage,
    agent,
)

from .conftest import opened_store


def _counter() -> tuple[object, list[str]]:
    calls: list[str] = []

    @agent
    async def counting(ctx: InteractionContext, suffix: str = "") -> None:
        history = await ctx.message_promises
        calls.append(history[-1].text)
        ctx.reply(f"seen {len(history)}{suffix}")

    return counting, calls


async def _texts(session: Session, branch: str) -> list[tuple[str, str]]:
    return [(node.sender, message.text) for node, message in await session.path_messages(branch)]


async def test_inquire_records_a_run_whose_replies_sit_under_its_input(store: Store) -> None:
    counting, calls = _counter()
    async with Ramify():
        session = await Session.create(store)
        question = await session.append(UserMessage(text="how many?"), sender=USER)
        replies = session.inquire(counting, branch="main")  # type: ignore[arg-type]
        assert [str(reply) for reply in await replies] == ["seen 1"]
        run = await replies.recorded()
    assert calls == ["how many?"]
    assert await _texts(session, "main") == [(USER, "how many?"), ("COUNTING", "seen 1")]
    stored = await store.get_run(run.id)
    assert stored.status is RunStatus.DONE
    assert stored.input_node == question.hash_key
    (reply_node,) = await store.children(question.hash_key, session_id=session.id)
    assert stored.output_nodes == [reply_node.hash_key]
    assert reply_node.run_id == run.id


async def test_the_same_input_is_answered_from_the_store_the_second_time(store: Store) -> None:
    counting, calls = _counter()
    async with Ramify():
        session = await Session.create(store)
        root = await session.append(UserMessage(text="q"), sender=USER)
        await session.inquire(counting, branch="main")  # type: ignore[arg-type]
        await session.fork(root, "again")
        replay = session.inquire(counting, branch="again")  # type: ignore[arg-type]
        await replay
    assert calls == ["q"]
    assert replay.cache_hit
    assert await session.head("again") == await session.head("main")


async def test_rerun_makes_a_sibling_branch_and_leaves_the_original(store: Store) -> None:
    counting, calls = _counter()
    async with Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), sender=USER)
        await session.inquire(counting, branch="main")  # type: ignore[arg-type]
        before = await _texts(session, "main")
        reply = await session.head("main")
        assert reply is not None
        same = session.rerun(reply)
        await same
        changed = session.rerun(reply, counting.fork(suffix=" anew"))  # type: ignore[attr-defined]
        await changed
    assert same.same_as_before
    assert changed.branch.startswith("rerun-")
    assert await _texts(session, "main") == before
    assert await _texts(session, changed.branch) == [(USER, "q"), ("COUNTING", "seen 1 anew")]
    assert len(calls) == 3
    assert {ref.name for ref in await session.branches()} == {"main", changed.branch}


async def test_export_then_import_into_a_new_store_keeps_every_hash(
    store: Store, store_kind: str, tmp_path: Path
) -> None:
    counting, _ = _counter()
    async with Ramify():
        session = await Session.create(store, title="round trip")
        root = await session.append(UserMessage(text="start"), sender=USER)
        await session.inquire(counting, branch="main")  # type: ignore[arg-type]
        await session.fork(root, "side")
        await session.append(UserMessage(text="aside"), branch="side")
        text = await session.export_markdown("tree")
    async with opened_store(store_kind, tmp_path, "other") as other:
        imported = await Session.import_markdown(other, text)
        assert await imported.export_markdown("tree") == text
        for branch in ("main", "side"):
            assert await imported.head(branch) == await session.head(branch)
        runs = await other.list_runs(session_id=imported.id)
        assert [run.id for run in runs] == [run.id for run in await session.runs()]
        again = await Session.import_markdown(other, text)
        assert again.id == imported.id


async def test_a_reopened_session_lands_where_it_was(store: Store) -> None:
    session = await Session.create(store)
    root = await session.append(UserMessage(text="root"), sender=USER)
    first = await session.append(UserMessage(text="first"), sender=USER)
    await session.fork(root, "other")
    await session.append(UserMessage(text="second"), branch="other")
    await session.remember_child(root, first)
    await session.set_active_branch("other")
    reopened = await Session.open(store, session.id)
    assert reopened.active_branch == "other"
    assert await reopened.remembered_child(root) == first
