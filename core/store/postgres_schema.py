"""The PostgreSQL schema, as migrations recorded in a ``ramify_schema`` table.

Migration ``i`` (0-based) takes a database from version ``i`` to ``i + 1``. Append new
migrations; never edit one that has shipped. The tables follow the SQLite store's (one portable
schema): content-addressed messages and nodes, refs moved by compare-and-swap, a reflog, runs,
session records and membership, imports. Nodes also get a sequence number, so
"oldest first" means first stored, as SQLite's rowids do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SchemaTooNew

if TYPE_CHECKING:
    import asyncpg

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "prepare"]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE messages (
        -- Byte order (C), so a prefix is a range of the index, whatever the locale.
        hash TEXT COLLATE "C" PRIMARY KEY,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        text TEXT NOT NULL,
        -- The words `search_terms` finds in the text, so both stores split text alike.
        words TSVECTOR NOT NULL
    );
    CREATE INDEX messages_words ON messages USING GIN (words);
    CREATE TABLE nodes (
        id BIGSERIAL PRIMARY KEY,
        hash TEXT COLLATE "C" NOT NULL UNIQUE,
        message TEXT COLLATE "C" NOT NULL,
        parent TEXT COLLATE "C",
        sender TEXT NOT NULL,
        forwarded_from TEXT COLLATE "C",
        run_id TEXT,
        created_at DOUBLE PRECISION,
        depth INTEGER NOT NULL
    );
    -- Only ever looked up by equality: hash indexes hold a 4-byte code per row instead of the
    -- 64-character key, and took a quarter off bulk inserts (docs/benchmarks.md).
    CREATE INDEX nodes_parent ON nodes USING hash (parent);
    CREATE INDEX nodes_message ON nodes USING hash (message);
    CREATE TABLE session_nodes (
        session_id TEXT NOT NULL,
        node_id BIGINT NOT NULL,
        PRIMARY KEY (session_id, node_id)
    );
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        active_branch TEXT NOT NULL,
        remembered_children TEXT NOT NULL
    );
    CREATE TABLE refs (
        session_id TEXT NOT NULL,
        name TEXT NOT NULL,
        head TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (session_id, name)
    );
    CREATE TABLE reflog (
        id BIGSERIAL PRIMARY KEY,
        session_id TEXT NOT NULL,
        name TEXT NOT NULL,
        old TEXT,
        new TEXT NOT NULL,
        reason TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX reflog_session ON reflog(session_id, name);
    CREATE TABLE runs (
        seq BIGSERIAL UNIQUE,
        id TEXT PRIMARY KEY,
        session_id TEXT,
        parent_run_id TEXT,
        status TEXT NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        fingerprint TEXT NOT NULL,
        input_node TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX runs_session ON runs(session_id, started_at);
    CREATE INDEX runs_parent ON runs(parent_run_id);
    CREATE INDEX runs_lookup ON runs(session_id, fingerprint, input_node, started_at);
    """,
    """
    -- Version 2: which session each imported file became (by a digest of its content), so
    -- opening the same file again reopens that session instead of importing a copy.
    CREATE TABLE imports (
        digest TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

# Any fixed number: every Ramify process migrating the same database takes this lock, so two
# first opens at once migrate once.
_MIGRATION_LOCK = 0x52414D49


async def schema_version(db: asyncpg.Connection) -> int:
    """The database's schema version (0 when Ramify never created its tables there)."""
    exists = await db.fetchval("SELECT to_regclass('ramify_schema') IS NOT NULL")
    if not exists:
        return 0
    return int(await db.fetchval("SELECT coalesce(max(version), 0) FROM ramify_schema"))


async def prepare(db: asyncpg.Connection, where: str, *, target: int = SCHEMA_VERSION) -> None:
    """Refuse a schema newer than this code; otherwise migrate to `target`, in one transaction.

    `where` names the database (password-free) in messages. `target` lets tests build an old
    version to migrate from.
    """
    version = await schema_version(db)
    _refuse_newer(version, where)
    if version >= target:
        return
    # A session lock taken before the transaction: its first statement then sees whatever
    # another process migrated meanwhile.
    await db.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        async with db.transaction():
            version = await schema_version(db)
            _refuse_newer(version, where)
            if version == 0:
                await db.execute("CREATE TABLE ramify_schema (version INTEGER NOT NULL)")
                await db.execute("INSERT INTO ramify_schema(version) VALUES (0)")
            for index in range(version, target):
                await db.execute(MIGRATIONS[index])
            if version < target:
                await db.execute("UPDATE ramify_schema SET version = $1", target)
    finally:
        if not db.is_closed():
            await db.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


def _refuse_newer(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the PostgreSQL database {where} has schema version {version}, newer than this "
            f"Ramify supports ({SCHEMA_VERSION}); it was left untouched. Upgrade Ramify to use it."
        )
