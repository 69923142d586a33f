"""Rows altered outside Ramify are detected on read and reported, and never make the rest of
a branch or session unreadable."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from ramify.core import ErrorMessage, Run, Session, SQLiteStore, UserMessage
from ramify.core.errors import CorruptDatabase

from .helpers import chain


def _tamper(path: Path, sql: str, *args: object) -> None:
    db = sqlite3.connect(path)
    try:
        with db:
            assert db.execute(sql, args).rowcount == 1
    finally:
        db.close()


async def test_a_tampered_message_reads_as_an_error_naming_its_hash_and_the_rest_reads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tampered.db"
    async with SQLiteStore(path) as store:
        nodes = await chain(store, ["first", "the original text", "third"], session_id="s")
    victim = nodes[1].message
    reader = sqlite3.connect(path)
    try:
        row = reader.execute("SELECT data FROM messages WHERE hash = ?", (victim,)).fetchone()
    finally:
        reader.close()
    data = json.loads(row[0])
    data["text"] = "words put in its mouth"
    _tamper(path, "UPDATE messages SET data = ? WHERE hash = ?", json.dumps(data), victim)

    async with SQLiteStore(path) as store:
        with caplog.at_level(logging.WARNING, logger="ramify.store"):
            found = await store.get_messages([node.message for node in nodes])
        assert [found[node.message].text for node in (nodes[0], nodes[2])] == ["first", "third"]
        placeholder = found[victim]
        assert isinstance(placeholder, ErrorMessage)
        assert placeholder.error_type == "CorruptDatabase"
        assert victim in placeholder.text
        assert "words put in its mouth" not in placeholder.text
        assert any(victim in record.getMessage() for record in caplog.records)
        assert isinstance(await store.get_message(victim), ErrorMessage)


async def test_unreadable_message_data_reads_as_an_error_too(tmp_path: Path) -> None:
    path = tmp_path / "garbled.db"
    async with SQLiteStore(path) as store:
        nodes = await chain(store, ["fine", "garbled"])
    _tamper(path, "UPDATE messages SET data = '{not json' WHERE hash = ?", nodes[1].message)
    async with SQLiteStore(path) as store:
        found = await store.get_messages([node.message for node in nodes])
    assert found[nodes[0].message].text == "fine"
    assert isinstance(found[nodes[1].message], ErrorMessage)


async def test_a_poisoned_run_or_session_row_does_not_stop_a_session_opening(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "poisoned.db"
    async with SQLiteStore(path) as store:
        session = await Session.create(store, title="kept")
        await session.append(UserMessage(text="still here"))
        good = Run(session_id=session.id, agent="good", started_at=1.0)
        bad = Run(session_id=session.id, agent="bad", started_at=2.0)
        for run in (good, bad):
            await store.put_run(run)
        other = await Session.create(store, title="poisoned")
    _tamper(path, "UPDATE runs SET data = '{\"started_at\": Infinity}' WHERE id = ?", bad.id)
    _tamper(path, "UPDATE sessions SET remembered_children = 'oops' WHERE id = ?", other.id)

    async with SQLiteStore(path) as store:
        with caplog.at_level(logging.WARNING, logger="ramify.store"):
            reopened = await Session.open(store, session.id)
            assert [run.id for run in await reopened.runs()] == [good.id]
            assert [record.title for record in await store.list_sessions()] == ["kept"]
        assert [str(m) for _, m in await reopened.path_messages("main")] == ["still here"]
        with pytest.raises(CorruptDatabase, match=bad.id):
            await store.get_run(bad.id)
        with pytest.raises(CorruptDatabase, match=other.id):
            await store.get_session(other.id)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert bad.id in logged
    assert other.id in logged
