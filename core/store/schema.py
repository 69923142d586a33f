"""The SQLite schema, as migrations keyed by ``PRAGMA user_version``.

Migration ``i`` (0-based) takes a database from version ``i`` to ``i + 1``. Append new
migrations; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CorruptDatabase, ForeignDatabase, SchemaTooNew
from .sqlite_errors import is_damage, store_error

if TYPE_CHECKING:
    import aiosqlite

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "check_header", "prepare"]

_SQLITE_HEADER = b"SQLite format 3\x00"
_UNTOUCHED = "it was left untouched"

APPLICATION_ID = 0x52414D49
"""``PRAGMA application_id`` of every Ramify database ("RAMI"), so foreign files are refused."""

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE messages (
        rowid INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 0'
    );
    -- Messages are never updated or deleted, so inserts are the only trigger needed.
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TABLE nodes (
        rowid INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        message TEXT NOT NULL,
        parent TEXT,
        sender TEXT NOT NULL,
        forwarded_from TEXT,
        run_id TEXT,
        created_at REAL,
        depth INTEGER NOT NULL
    );
    CREATE INDEX nodes_parent ON nodes(parent);
    CREATE INDEX nodes_message ON nodes(message);
    CREATE TABLE session_nodes (
        session_id TEXT NOT NULL,
        node_hash TEXT NOT NULL,
        PRIMARY KEY (session_id, node_hash)
    ) WITHOUT ROWID;
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        active_branch TEXT NOT NULL,
        remembered_children TEXT NOT NULL
    );
    CREATE TABLE refs (
        session_id TEXT NOT NULL,
        name TEXT NOT NULL,
        head TEXT NOT NULL,
        PRIMARY KEY (session_id, name)
    );
    CREATE TABLE reflog (
        id INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL,
        name TEXT NOT NULL,
        old TEXT,
        new TEXT NOT NULL,
        reason TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX reflog_session ON reflog(session_id, name);
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        session_id TEXT,
        parent_run_id TEXT,
        status TEXT NOT NULL,
        started_at REAL NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX runs_session ON runs(session_id, started_at);
    CREATE INDEX runs_parent ON runs(parent_run_id);
    """,
    """
    -- Version 2: faster bulk writes (docs/benchmarks.md) and an index for the run cache.
    -- `put_nodes` now indexes a batch of new messages in one statement; the per-row trigger
    -- cost a third of a bulk insert.
    DROP TRIGGER messages_fts_insert;
    -- Nodes reach their parent and message, and sessions their nodes, by rowid. Rowids grow
    -- with every insert, so these indexes are appended to; indexes on hashes took writes all
    -- over the file, and each commit rewrote most of their pages.
    ALTER TABLE nodes ADD COLUMN message_row INTEGER;
    ALTER TABLE nodes ADD COLUMN parent_row INTEGER;
    UPDATE nodes SET
        message_row = (SELECT m.rowid FROM messages m WHERE m.hash = nodes.message),
        parent_row = (SELECT p.rowid FROM nodes p WHERE p.hash = nodes.parent);
    DROP INDEX nodes_parent;
    DROP INDEX nodes_message;
    CREATE INDEX nodes_parent_row ON nodes(parent_row);
    CREATE INDEX nodes_message_row ON nodes(message_row);
    CREATE TABLE session_nodes_v2 (
        session_id TEXT NOT NULL,
        node_row INTEGER NOT NULL,
        PRIMARY KEY (session_id, node_row)
    ) WITHOUT ROWID;
    INSERT INTO session_nodes_v2(session_id, node_row)
        SELECT s.session_id, n.rowid FROM session_nodes s JOIN nodes n ON n.hash = s.node_hash;
    DROP TABLE session_nodes;
    ALTER TABLE session_nodes_v2 RENAME TO session_nodes;
    -- The run cache looks up the latest run of a fingerprint on an input node in a session.
    ALTER TABLE runs ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN input_node TEXT;
    UPDATE runs SET
        fingerprint = coalesce(json_extract(data, '$.fingerprint'), ''),
        input_node = json_extract(data, '$.input_node');
    CREATE INDEX runs_lookup ON runs(session_id, fingerprint, input_node, started_at);
    """,
    """
    -- Version 3: which session each imported file became (by a digest of its content), so
    -- opening the same file again reopens that session instead of importing a copy.
    CREATE TABLE imports (
        digest TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite, before SQLite ever opens it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_HEADER))
    if header != _SQLITE_HEADER:
        raise CorruptDatabase(
            f"{path} is not an SQLite database; {_UNTOUCHED}. Move it aside or choose another path."
        )


async def _scalar(db: aiosqlite.Connection, sql: str, args: Sequence[Any] = ()) -> Any:
    rows = list(await db.execute_fetchall(sql, args))
    return rows[0][0] if rows else None


async def prepare(db: aiosqlite.Connection, path: Path) -> None:
    """Check that `db` is ours and current, then set pragmas and migrate.

    Nothing is written to a file that fails a check: the pragmas that change the file
    (WAL mode, migrations) come only after every check passed.
    """
    try:
        await db.execute("PRAGMA busy_timeout = 10000")
        app_id = await _scalar(db, "PRAGMA application_id")
        version = await _scalar(db, "PRAGMA user_version")
        objects = await _scalar(db, "SELECT count(*) FROM sqlite_master")
    except sqlite3.Error as error:
        if not is_damage(error):
            raise store_error(error, path) from error
        raise CorruptDatabase(
            f"{path} cannot be read as a database ({error}); {_UNTOUCHED}. "
            "Move it aside or choose another path."
        ) from error
    if app_id != APPLICATION_ID and (app_id != 0 or objects):
        raise ForeignDatabase(
            f"{path} is an SQLite database that Ramify did not create; {_UNTOUCHED}. "
            "Choose another path for Ramify's database."
        )
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"{path} has schema version {version}, newer than this Ramify supports "
            f"({SCHEMA_VERSION}); {_UNTOUCHED}. Upgrade Ramify to open it."
        )
    try:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        # Hash keys land at random places in their indexes; a larger page cache keeps bulk
        # inserts from re-reading pages (measured: see docs/benchmarks.md).
        await db.execute("PRAGMA cache_size = -65536")
        await db.execute("PRAGMA temp_store = MEMORY")
        if version < SCHEMA_VERSION:
            await _migrate(db)
    except sqlite3.Error as error:
        raise store_error(error, path) from error


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements; triggers hold semicolons, so split only where complete."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


async def _migrate(db: aiosqlite.Connection) -> None:
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        version = await _scalar(db, "PRAGMA user_version")
        for index in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[index]):
                await db.execute(statement)
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        await db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        await db.execute("COMMIT")
    except BaseException:
        await db.execute("ROLLBACK")
        raise
