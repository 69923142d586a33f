"""`put_nodes_and_runs`: a workflow task's nodes and runs in one write, in every store."""

from __future__ import annotations

import pytest

from ramify.core import MissingParent, Node, Run, RunNotFound, RunStatus, Store, UserMessage

from .helpers import add


async def test_nodes_and_runs_are_stored_together_and_the_nodes_join_the_session(
    store: Store,
) -> None:
    root = await add(store, "root")
    message = UserMessage(text="output")
    node = Node(message=message.hash_key, parent=root.hash_key, sender="wf")
    started = Run(session_id="s", agent="wf/task", input_node=root.hash_key)
    ended = Run(session_id="s", agent="wf/other", status=RunStatus.DONE)
    await store.put_nodes_and_runs([node], [message], [started, ended], session_id="s")
    assert [n.hash_key for n in await store.session_nodes("s")] == [node.hash_key]
    assert await store.get_message(node.message) == message
    assert await store.get_run(started.id) == started
    assert await store.get_run(ended.id) == ended
    started.status = RunStatus.DONE
    started.output_nodes = [node.hash_key]
    await store.put_nodes_and_runs([], [], [started])
    assert (await store.get_run(started.id)).output_nodes == [node.hash_key]


async def test_a_node_with_an_unknown_parent_writes_neither_nodes_nor_runs(store: Store) -> None:
    message = UserMessage(text="orphan")
    orphan = Node(message=message.hash_key, parent="e" * 64, sender="wf")
    run = Run(session_id="s", agent="wf/task")
    with pytest.raises(MissingParent):
        await store.put_nodes_and_runs([orphan], [message], [run], session_id="s")
    assert await store.count_nodes() == 0
    with pytest.raises(RunNotFound):
        await store.get_run(run.id)
