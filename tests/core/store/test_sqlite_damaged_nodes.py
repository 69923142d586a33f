"""Node rows altered outside Ramify are caught on read, reported, and never make the rest of a
branch or session unreadable (a real SQLite file, altered through sqlite3)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ramify.core import ErrorMessage, InteractionContext, Node, Session, SQLiteStore, agent
from ramify.core import UserMessage as Said
from ramify.core.store.node_rows import node_hash
from ramify.tui.controller import SessionController

TEXTS = ["first question", "the answer", "a follow-up"]
HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@agent
async def quiet(ctx: InteractionContext) -> None:
    ctx.reply("unused")


def _tamper(path: Path, sql: str, *args: object) -> None:
    db = sqlite3.connect(path)
    try:
        with db:
            assert db.execute(sql, args).rowcount == 1
    finally:
        db.close()


def _rowid(path: Path, node: Node) -> int:
    db = sqlite3.connect(path)
    try:
        (row,) = db.execute("SELECT rowid FROM nodes WHERE hash = ?", (node.hash_key,))
    finally:
        db.close()
    return int(row[0])


async def _session(path: Path) -> tuple[str, list[Node]]:
    async with SQLiteStore(path) as store:
        session = await Session.create(store, title="kept")
        for index, text in enumerate(TEXTS):
            await session.append(Said(text=text), sender="USER" if index % 2 == 0 else "BOT")
        return session.id, [node for node, _ in await session.path_messages("main")]


@given(
    message=HEX,
    parent=st.none() | HEX,
    forwarded_from=st.none() | HEX,
    sender=st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
)
def test_node_hash_is_the_hash_of_the_node(
    message: str, parent: str | None, forwarded_from: str | None, sender: str
) -> None:
    node = Node(message=message, parent=parent, forwarded_from=forwarded_from, sender=sender)
    assert node_hash((message, parent, sender, forwarded_from)) == node.hash_key


async def test_a_node_with_a_changed_sender_reads_as_an_error_in_place_and_the_rest_reads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sender.db"
    session_id, nodes = await _session(path)
    victim = nodes[1]
    _tamper(path, "UPDATE nodes SET sender = 'USER' WHERE hash = ?", victim.hash_key)

    async with SQLiteStore(path) as store:
        with caplog.at_level(logging.WARNING, logger="ramify.store"):
            session = await Session.open(store, session_id)
            path_messages = await session.path_messages("main")
            markdown = await session.export_markdown()
            controller = await SessionController.open(store, session_id, quiet)
            views = await controller.views(0, len(controller.path))
        node = await store.get_node(victim.hash_key)
    assert [node.hash_key for node, _ in path_messages] == [node.hash_key for node in nodes]
    assert [str(m) for _, m in path_messages][::2] == [TEXTS[0], TEXTS[2]]
    placeholder = path_messages[1][1]
    assert isinstance(placeholder, ErrorMessage)
    assert placeholder.error_type == "CorruptDatabase"
    assert victim.hash_key in placeholder.text
    # The message the row names is still findable from the placeholder.
    assert victim.message in placeholder.text
    assert node.parent == nodes[0].hash_key
    assert node.message == placeholder.hash_key
    assert TEXTS[0] in markdown
    assert TEXTS[2] in markdown
    assert TEXTS[1] not in markdown  # the altered node's claim is not shown as its message
    assert [view.status for view in views][1] == "error"
    assert [view.text for view in views][::2] == [TEXTS[0], TEXTS[2]]
    assert any(victim.hash_key in record.getMessage() for record in caplog.records)


async def test_a_node_whose_parent_hash_was_changed_stays_where_its_row_puts_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "parent.db"
    session_id, nodes = await _session(path)
    _tamper(
        path, "UPDATE nodes SET parent = ? WHERE hash = ?", nodes[0].hash_key, nodes[2].hash_key
    )
    async with SQLiteStore(path) as store:
        with caplog.at_level(logging.WARNING, logger="ramify.store"):
            session = await Session.open(store, session_id)
            read = await session.path_messages("main")
            children = await store.children(nodes[1].hash_key)
    assert [node.hash_key for node, _ in read] == [node.hash_key for node in nodes]
    assert read[2][0].parent == nodes[1].hash_key
    assert isinstance(read[2][1], ErrorMessage)
    assert [child.hash_key for child in children] == [nodes[2].hash_key]
    assert any(nodes[2].hash_key in record.getMessage() for record in caplog.records)


async def test_a_parent_row_number_pointing_elsewhere_is_not_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "parent_row.db"
    session_id, nodes = await _session(path)
    # The head skips its parent: its hash still says the middle node is its parent.
    _tamper(
        path,
        "UPDATE nodes SET parent_row = ? WHERE hash = ?",
        _rowid(path, nodes[0]),
        nodes[2].hash_key,
    )
    async with SQLiteStore(path) as store:
        with caplog.at_level(logging.WARNING, logger="ramify.store"):
            walked = await store.path(nodes[2].hash_key)
            children = await store.children(nodes[0].hash_key)
            session = await Session.open(store, session_id)
            read = await session.path_messages("main")
    assert walked == nodes
    assert [str(m) for _, m in read] == TEXTS
    assert children == [nodes[1]]
    assert any(nodes[2].hash_key in record.getMessage() for record in caplog.records)


async def test_rows_altered_into_a_loop_end_the_path_instead_of_hanging(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "loop.db"
    _, nodes = await _session(path)
    # The root now claims the head as its parent row, at a depth that lets the walk go on.
    _tamper(
        path,
        "UPDATE nodes SET parent_row = ?, depth = 9 WHERE hash = ?",
        _rowid(path, nodes[2]),
        nodes[0].hash_key,
    )
    _tamper(path, "UPDATE nodes SET depth = 10 WHERE hash = ?", nodes[1].hash_key)
    async with SQLiteStore(path) as store:
        with caplog.at_level(logging.WARNING, logger="ramify.store"):
            walked = await store.path(nodes[2].hash_key)
            from_root = await store.path(nodes[0].hash_key)
    assert walked == nodes
    assert from_root == [nodes[0]]


async def test_a_provenance_value_of_the_wrong_type_reads_as_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "created.db"
    _, nodes = await _session(path)
    _tamper(path, "UPDATE nodes SET created_at = 'soon' WHERE hash = ?", nodes[1].hash_key)
    async with SQLiteStore(path) as store:
        with caplog.at_level(logging.WARNING, logger="ramify.store"):
            node = await store.get_node(nodes[1].hash_key)
    assert node == nodes[1]
    assert node.created_at is None
    assert any(nodes[1].hash_key in record.getMessage() for record in caplog.records)


async def test_a_node_field_that_is_not_text_reads_as_a_stand_in(tmp_path: Path) -> None:
    path = tmp_path / "blob.db"
    _, nodes = await _session(path)
    _tamper(path, "UPDATE nodes SET sender = X'00ff' WHERE hash = ?", nodes[2].hash_key)
    async with SQLiteStore(path) as store:
        walked = await store.path(nodes[2].hash_key)
        placeholder = await store.get_message(walked[2].message)
    assert [node.hash_key for node in walked] == [node.hash_key for node in nodes]
    assert isinstance(placeholder, ErrorMessage)
    assert "cannot be hashed" in placeholder.text


async def test_a_root_given_a_parent_hash_stays_a_root(tmp_path: Path) -> None:
    path = tmp_path / "root.db"
    _, nodes = await _session(path)
    _tamper(
        path, "UPDATE nodes SET parent = ? WHERE hash = ?", nodes[2].hash_key, nodes[0].hash_key
    )
    async with SQLiteStore(path) as store:
        walked = await store.path(nodes[2].hash_key)
        root = await store.get_node(nodes[0].hash_key)
    assert [node.hash_key for node in walked] == [node.hash_key for node in nodes]
    assert walked[0].parent is None
    assert root.parent is None
