"""Sessions, runs and full-text search in every store."""

from __future__ import annotations

import pytest

from ramify.core import (
    Node,
    Run,
    RunNotFound,
    RunStatus,
    RunUsage,
    SessionNotFound,
    SessionRecord,
    Store,
    UserMessage,
)

from .helpers import add, chain


async def test_session_record_round_trips_and_updates(store: Store) -> None:
    record = SessionRecord(id="s1", title="demo", created_at=1.0, updated_at=1.0)
    await store.put_session(record)
    record.title = "renamed"
    record.active_branch = "side"
    record.remembered_children = {"a" * 64: "b" * 64}
    record.updated_at = 2.0
    await store.put_session(record)
    assert await store.get_session("s1") == record


async def test_sessions_listed_most_recent_first(store: Store) -> None:
    for index, updated in enumerate([5.0, 9.0, 1.0]):
        await store.put_session(SessionRecord(id=f"s{index}", created_at=0.0, updated_at=updated))
    assert [r.id for r in await store.list_sessions()] == ["s1", "s0", "s2"]


async def test_unknown_session_raises(store: Store) -> None:
    with pytest.raises(SessionNotFound):
        await store.get_session("nope")


async def test_run_round_trips_and_updates_in_place(store: Store) -> None:
    run = Run(session_id="s", agent="echo", fingerprint="f" * 64, input_node="a" * 64)
    await store.put_run(run)
    run.status = RunStatus.DONE
    run.usage = RunUsage(input_tokens=3, output_tokens=5, cost=0.01)
    run.first_token_at = run.started_at + 0.1
    run.ended_at = run.started_at + 1
    run.output_nodes.append("b" * 64)
    await store.put_run(run)
    assert await store.get_run(run.id) == run
    assert len(await store.list_runs()) == 1


async def test_runs_filtered_by_session_and_parent(store: Store) -> None:
    parent = Run(session_id="s", agent="outer", started_at=1.0)
    child = Run(session_id="s", agent="inner", parent_run_id=parent.id, started_at=2.0)
    other = Run(session_id="t", agent="else", started_at=3.0)
    for run in (child, other, parent):
        await store.put_run(run)
    assert [r.id for r in await store.list_runs(session_id="s")] == [parent.id, child.id]
    assert [r.id for r in await store.list_runs(parent_run_id=parent.id)] == [child.id]


async def test_put_runs_writes_new_runs_and_updates_stored_ones_at_once(store: Store) -> None:
    stored = Run(session_id="s", agent="first", started_at=1.0)
    await store.put_run(stored)
    stored.status = RunStatus.DONE
    fresh = [Run(session_id="s", agent=f"actor{i}", started_at=2.0 + i) for i in range(3)]
    await store.put_runs([stored, *fresh])
    assert await store.list_runs(session_id="s") == [stored, *fresh]
    assert (await store.get_run(stored.id)).status is RunStatus.DONE
    await store.put_runs([])  # nothing to write is no error
    assert len(await store.list_runs()) == 4


async def test_unknown_run_raises(store: Store) -> None:
    with pytest.raises(RunNotFound):
        await store.get_run("nope")


async def test_search_finds_words_across_branches(store: Store) -> None:
    root = await add(store, "Tell me about quantum physics", session_id="s")
    left = await add(store, "Quantum entanglement is spooky", root, session_id="s")
    await add(store, "Classical mechanics instead", root, session_id="s")
    found = await store.search("quantum", session_id="s")
    assert [n.hash_key for n in found] == [root.hash_key, left.hash_key]
    assert [n.hash_key for n in await store.search("QUANTUM spooky")] == [left.hash_key]


async def test_search_within_session_ignores_other_sessions(store: Store) -> None:
    await add(store, "shared secret word", session_id="s1")
    await chain(store, ["unrelated", "secret in two"], session_id="s2")
    assert len(await store.search("secret", session_id="s1")) == 1
    assert len(await store.search("secret", session_id="s2")) == 1
    assert len(await store.search("secret")) == 2


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ('foo"bar', True),
        ("AND", True),
        ("OR NOT", False),
        ("NEAR(", False),
        ("*", False),
        ("col:value", True),
        ("'", False),
        ("^x", True),
        ("(a OR", False),
        ("", False),
    ],
)
async def test_search_treats_user_input_as_plain_words(
    store: Store, query: str, finds: bool
) -> None:
    node = await add(store, 'an AND b foo"bar and col value x')
    await add(store, "nothing of the sort")
    # Operators and punctuation are no syntax: only the words in the query count.
    found = [found.hash_key for found in await store.search(query)]
    assert found == ([node.hash_key] if finds else [])


async def test_search_matches_quotes_and_operators_as_words(store: Store) -> None:
    node = await add(store, 'the AND operator and foo"bar')
    assert [n.hash_key for n in await store.search("AND")] == [node.hash_key]
    assert [n.hash_key for n in await store.search('foo"bar')] == [node.hash_key]
    assert await store.search("OR") == []


async def test_search_respects_limit(store: Store) -> None:
    await chain(store, [f"needle {i}" for i in range(10)])
    assert len(await store.search("needle", limit=3)) == 3


async def test_search_of_forwarded_message_finds_both_nodes(store: Store) -> None:
    source = await add(store, "forward this")
    message = UserMessage(text="forward this")
    copy = Node(message=message.hash_key, sender="bot", forwarded_from=source.hash_key)
    await store.put_node(copy)
    assert {n.hash_key for n in await store.search("forward")} == {
        source.hash_key,
        copy.hash_key,
    }


async def test_run_round_trip_keeps_every_field(store: Store) -> None:
    run = Run(
        session_id="s",
        parent_run_id="p",
        agent="a",
        fingerprint="f" * 64,
        input_node="a" * 64,
        input_messages=["b" * 64, "c" * 64],
        status=RunStatus.ERROR,
        usage=RunUsage(input_tokens=1, output_tokens=2, cost=0.5),
        started_at=10.0,
        first_token_at=10.5,
        ended_at=11.0,
        output_nodes=["d" * 64],
        error="ValueError: bad",
        pid=42,
        host="box",
    )
    await store.put_run(run)
    loaded = await store.get_run(run.id)
    assert loaded.model_dump() == run.model_dump()
    assert [r.model_dump() for r in await store.list_runs(session_id="s")] == [run.model_dump()]


def _cached(**fields: object) -> Run:
    values: dict[str, object] = {
        "session_id": "s",
        "agent": "echo",
        "fingerprint": "f" * 64,
        "input_node": "a" * 64,
        "status": RunStatus.DONE,
        "output_nodes": ["b" * 64],
    }
    values.update(fields)
    return Run.model_validate(values)


async def test_find_run_returns_the_latest_matching_finished_run(store: Store) -> None:
    older = _cached(started_at=1.0)
    newer = _cached(started_at=2.0)
    for run in (newer, older):
        await store.put_run(run)
    found = await store.find_run("s", "f" * 64, "a" * 64)
    assert found is not None
    assert found.model_dump() == newer.model_dump()


async def test_find_run_ignores_other_sessions_fingerprints_inputs_and_statuses(
    store: Store,
) -> None:
    await store.put_run(_cached(session_id="other", started_at=5.0))
    await store.put_run(_cached(fingerprint="e" * 64, started_at=5.0))
    await store.put_run(_cached(input_node="c" * 64, started_at=5.0))
    await store.put_run(_cached(input_node=None, started_at=5.0))
    await store.put_run(_cached(status=RunStatus.ERROR, started_at=5.0))
    await store.put_run(_cached(status=RunStatus.RUNNING, started_at=5.0))
    match = _cached(started_at=1.0)
    await store.put_run(match)
    found = await store.find_run("s", "f" * 64, "a" * 64)
    assert found is not None
    assert found.id == match.id
    assert await store.find_run("s", "0" * 64, "a" * 64) is None
    assert await store.find_run("nope", "f" * 64, "a" * 64) is None


async def test_find_run_matches_a_run_on_empty_input(store: Store) -> None:
    empty = _cached(input_node=None)
    await store.put_run(empty)
    await store.put_run(_cached(input_node="a" * 64, started_at=empty.started_at + 1))
    found = await store.find_run("s", "f" * 64, None)
    assert found is not None
    assert found.id == empty.id


async def test_find_run_filters_by_the_given_status(store: Store) -> None:
    failed = _cached(status=RunStatus.ERROR)
    await store.put_run(failed)
    assert await store.find_run("s", "f" * 64, "a" * 64) is None
    found = await store.find_run("s", "f" * 64, "a" * 64, status=RunStatus.ERROR)
    assert found is not None
    assert found.id == failed.id


async def test_find_run_can_require_output_nodes(store: Store) -> None:
    with_output = _cached(started_at=1.0)
    without = _cached(started_at=2.0, output_nodes=[])
    for run in (with_output, without):
        await store.put_run(run)
    latest = await store.find_run("s", "f" * 64, "a" * 64)
    assert latest is not None
    assert latest.id == without.id
    productive = await store.find_run("s", "f" * 64, "a" * 64, require_output=True)
    assert productive is not None
    assert productive.id == with_output.id


async def test_find_run_breaks_a_start_time_tie_by_the_last_stored(store: Store) -> None:
    first = _cached(started_at=3.0)
    second = _cached(started_at=3.0)
    await store.put_run(first)
    await store.put_run(second)
    await store.put_run(first)  # updating a run does not move it
    found = await store.find_run("s", "f" * 64, "a" * 64)
    assert found is not None
    assert found.id == second.id
    listed = [r.id for r in await store.list_runs(session_id="s")]
    assert listed[-1] == found.id


async def test_find_run_sees_a_run_once_it_finishes(store: Store) -> None:
    run = _cached(status=RunStatus.RUNNING, output_nodes=[], fingerprint="")
    await store.put_run(run)
    assert await store.find_run("s", "f" * 64, "a" * 64) is None
    run.fingerprint = "f" * 64
    run.status = RunStatus.DONE
    run.output_nodes.append("b" * 64)
    await store.put_run(run)
    found = await store.find_run("s", "f" * 64, "a" * 64)
    assert found is not None
    assert found.model_dump() == run.model_dump()


async def test_found_run_is_a_copy(store: Store) -> None:
    await store.put_run(_cached())
    found = await store.find_run("s", "f" * 64, "a" * 64)
    assert found is not None
    found.output_nodes.append("c" * 64)
    again = await store.find_run("s", "f" * 64, "a" * 64)
    assert again is not None
    assert again.output_nodes == ["b" * 64]


async def test_a_stored_run_shares_nothing_mutable_with_its_writer_or_readers(store: Store) -> None:
    run = Run(session_id="s", agent="echo", input_messages=["a" * 64], output_nodes=["b" * 64])
    run.timings["b" * 64] = "3:10"
    run.usage.input_tokens = 7
    await store.put_run(run)
    stored = run.model_dump()
    # Changing the writer's record, or one read back, changes nothing stored.
    run.input_messages.append("c" * 64)
    run.output_nodes.append("c" * 64)
    run.timings["c" * 64] = "1:1"
    run.usage.input_tokens = 8
    for read in (await store.get_run(run.id), (await store.list_runs())[0]):
        assert read.model_dump() == stored
        read.output_nodes.append("d" * 64)
        read.timings["d" * 64] = "1:1"
        read.usage.cost = 1.0
    assert (await store.get_run(run.id)).model_dump() == stored
