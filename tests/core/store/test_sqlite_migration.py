"""Migrations: a file from an older schema opens, is upgraded in place and keeps its data."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ramify.core import AssistantMessage, Message, Node, Run, RunStatus, SQLiteStore, UserMessage
from ramify.core.errors import DatabaseUnavailable
from ramify.core.store import schema
from ramify.core.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION


class _Version1File:
    """A database laid out and filled exactly as Ramify's schema version 1 wrote it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root_message = UserMessage(text="hello old world")
        self.reply_message = AssistantMessage(text="an old reply", model="demo")
        self.root = Node(message=self.root_message.hash_key, created_at=1.0)
        self.reply = Node(
            message=self.reply_message.hash_key,
            parent=self.root.hash_key,
            sender="bot",
            run_id="run-1",
            created_at=2.0,
        )
        self.elsewhere = Node(message=self.reply_message.hash_key, parent=self.root.hash_key)
        self.run = Run(
            id="run-1",
            session_id="s",
            agent="bot",
            fingerprint="f" * 64,
            input_node=self.root.hash_key,
            status=RunStatus.DONE,
            started_at=5.0,
            ended_at=6.0,
            output_nodes=[self.reply.hash_key],
        )
        with sqlite3.connect(path, isolation_level=None) as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(MIGRATIONS[0])
            db.execute("PRAGMA user_version = 1")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for message in (self.root_message, self.reply_message):
                self._put_message(db, message)
            for node, depth, session in (
                (self.root, 0, "s"),
                (self.reply, 1, "s"),
                (self.elsewhere, 1, "t"),
            ):
                db.execute(
                    "INSERT INTO nodes(hash, message, parent, sender, forwarded_from, run_id, "
                    "created_at, depth) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        node.hash_key,
                        node.message,
                        node.parent,
                        node.sender,
                        node.forwarded_from,
                        node.run_id,
                        node.created_at,
                        depth,
                    ),
                )
                db.execute(
                    "INSERT INTO session_nodes(session_id, node_hash) VALUES (?, ?)",
                    (session, node.hash_key),
                )
            db.execute("INSERT INTO session_nodes VALUES ('t', ?)", (self.root.hash_key,))
            db.execute(
                "INSERT INTO sessions VALUES ('s', 'old one', 1.0, 2.0, 'main', '{}')",
            )
            db.execute("INSERT INTO refs VALUES ('s', 'main', ?)", (self.reply.hash_key,))
            db.execute(
                "INSERT INTO reflog(session_id, name, old, new, reason, at) "
                "VALUES ('s', 'main', NULL, ?, 'create', 3.0)",
                (self.reply.hash_key,),
            )
            db.execute(
                "INSERT INTO runs(id, session_id, parent_run_id, status, started_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.run.id,
                    self.run.session_id,
                    None,
                    self.run.status.value,
                    self.run.started_at,
                    self.run.model_dump_json(),
                ),
            )
        db.close()

    @staticmethod
    def _put_message(db: sqlite3.Connection, message: Message) -> None:
        data = message.to_data()
        db.execute(
            "INSERT INTO messages(hash, type, data, text) VALUES (?, ?, ?, ?)",
            (message.hash_key, data["$type"], json.dumps(data), message.text),
        )


def _version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    db.close()
    return version


@pytest.fixture
def old_file(tmp_path: Path) -> _Version1File:
    return _Version1File(tmp_path / "v1.sqlite3")


async def test_version_1_file_is_migrated_and_keeps_every_record(old_file: _Version1File) -> None:
    assert _version(old_file.path) == 1
    async with SQLiteStore(old_file.path) as store:
        path = await store.path(old_file.reply.hash_key)
        assert [n.model_dump() for n in path] == [
            old_file.root.model_dump(),
            old_file.reply.model_dump(),
        ]
        assert [n.hash_key for n in path] == [old_file.root.hash_key, old_file.reply.hash_key]
        message = await store.get_message(old_file.reply_message.hash_key)
        assert message.to_data() == old_file.reply_message.to_data()
        assert [n.hash_key for n in await store.children(old_file.root.hash_key)] == [
            old_file.reply.hash_key,
            old_file.elsewhere.hash_key,
        ]
        in_s = await store.children(old_file.root.hash_key, session_id="s")
        assert [n.hash_key for n in in_s] == [old_file.reply.hash_key]
        assert [n.hash_key for n in await store.search("old world")] == [old_file.root.hash_key]
        assert [n.hash_key for n in await store.search("reply", session_id="t")] == [
            old_file.elsewhere.hash_key
        ]
        ref = await store.get_ref("s", "main")
        assert ref is not None
        assert ref.head == old_file.reply.hash_key
        assert [e.reason for e in await store.reflog("s")] == ["create"]
        assert (await store.get_session("s")).title == "old one"
        assert (await store.get_run("run-1")).model_dump() == old_file.run.model_dump()
        found = await store.find_run("s", "f" * 64, old_file.root.hash_key)
        assert found is not None
        assert found.model_dump() == old_file.run.model_dump()
    assert _version(old_file.path) == SCHEMA_VERSION


async def test_migrated_file_takes_new_nodes_and_indexes_them_once(
    old_file: _Version1File,
) -> None:
    async with SQLiteStore(old_file.path) as store:
        message = UserMessage(text="a new world")
        node = Node(message=message.hash_key, parent=old_file.reply.hash_key)
        await store.put_nodes([node], [message, old_file.root_message], session_id="s")
        assert [n.hash_key for n in await store.search("world", session_id="s")] == [
            old_file.root.hash_key,
            node.hash_key,
        ]
        assert [n.hash_key for n in await store.path(node.hash_key)][-2:] == [
            old_file.reply.hash_key,
            node.hash_key,
        ]
    async with SQLiteStore(old_file.path) as store:
        assert await store.count_nodes() == 4
        assert [n.hash_key for n in await store.children(old_file.reply.hash_key)] == [
            node.hash_key
        ]
    with sqlite3.connect(old_file.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # FTS5 keeps one size row per indexed message: every message was indexed.
        indexed = db.execute("SELECT count(*) FROM messages_fts_docsize").fetchone()[0]
        assert indexed == db.execute("SELECT count(*) FROM messages").fetchone()[0] == 3
    db.close()


async def test_failed_migration_leaves_the_old_file_as_it_was(
    old_file: _Version1File, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = (*MIGRATIONS[:-1], MIGRATIONS[-1] + "\nSELECT * FROM no_such_table;\n")
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    with pytest.raises(DatabaseUnavailable, match="no_such_table"):
        await SQLiteStore(old_file.path).open()
    assert _version(old_file.path) == 1
    with sqlite3.connect(old_file.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(session_nodes)")]
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    db.close()
    assert columns == ["session_id", "node_hash"]
    assert triggers == [("messages_fts_insert",)]
    monkeypatch.undo()
    async with SQLiteStore(old_file.path) as store:
        assert await store.count_nodes() == 3
