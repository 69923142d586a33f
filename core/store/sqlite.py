"""`SQLiteStore`: the embedded default store (aiosqlite, WAL, FTS5 search)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    AmbiguousPrefix,
    CorruptDatabase,
    MessageNotFound,
    MissingParent,
    NodeNotFound,
    RefConflict,
    RunNotFound,
    SessionNotFound,
    StoreError,
)
from ..messages import Message
from ..runs import Run
from ..tree import Node, Ref, ReflogEntry
from .base import (
    SessionRecord,
    Store,
    check_prefix,
    full_hash_or_none,
    node_from_row,
    search_terms,
)
from .location import resolve_database_path
from .schema import check_header, prepare

if TYPE_CHECKING:
    import aiosqlite

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")
_NODE_COLUMNS = "hash, message, parent, sender, forwarded_from, run_id, created_at"
# SQLite's default limit on bound parameters is 999 in older builds.
_CHUNK = 900


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _prefix_range(prefix: str) -> tuple[str, str]:
    # Hashes are lowercase hex, so every hash starting with `prefix` sorts below prefix + "g".
    return prefix, prefix + "g"


def _fts_query(query: str) -> str | None:
    terms = search_terms(query)
    if not terms:
        return None
    # Each term becomes a quoted phrase of plain words: user text is never FTS syntax.
    return " AND ".join('"' + " ".join(words) + '"' for words in terms)


class SQLiteStore(Store):
    """A `Store` in one SQLite file: WAL, ``synchronous=NORMAL``, FTS5 over message text.

    `path` defaults to `default_database_path()`. A corrupt, foreign or newer-schema file raises
    a `DatabaseFileError` on `open` and is never written to.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path_arg = path
        self._path: Path | None = None
        self._db: aiosqlite.Connection | None = None
        # One connection serves every task; the lock keeps their transactions apart.
        self._lock = asyncio.Lock()

    @property
    def file_path(self) -> Path:
        """The database file (known once the store is open)."""
        if self._path is None:
            return resolve_database_path(self._path_arg)
        return self._path

    async def open(self) -> None:
        import aiosqlite

        path = resolve_database_path(self._path_arg)
        check_header(path)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await prepare(db, path)
        except BaseException:
            await db.close()
            raise
        self._path = path
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError("the store is not open: use `async with SQLiteStore(...) as store`")
        return self._db

    async def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        db = self._conn()
        async with self._lock:
            return list(await db.execute_fetchall(sql, args))

    async def _write(self, body: Callable[[aiosqlite.Connection], Awaitable[_T]]) -> _T:
        db = self._conn()
        async with self._lock:
            await db.execute("BEGIN IMMEDIATE")
            try:
                result = await body(db)
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")
            return result

    # --- messages and nodes ---

    async def put_nodes(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message] = (),
        *,
        session_id: str | None = None,
    ) -> None:
        message_rows = {}
        for message in messages:
            data = message.to_data()
            message_rows[message.hash_key] = (
                message.hash_key,
                data["$type"],
                json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                message.text,
            )

        async def body(db: aiosqlite.Connection) -> None:
            depths: dict[str, int] = {}
            outside = {
                ref
                for node in nodes
                for ref in (node.parent, node.forwarded_from)
                if ref is not None
            }
            wanted_messages = {node.message for node in nodes} - message_rows.keys()
            known_nodes = await self._depths(db, sorted(outside))
            known_messages = await self._existing_messages(db, sorted(wanted_messages))
            node_rows = []
            for node in nodes:
                key = node.hash_key
                if node.message not in message_rows and node.message not in known_messages:
                    raise MissingParent(f"node {key} refers to unknown message {node.message}")
                for label, ref in (
                    ("parent", node.parent),
                    ("forwarded-from", node.forwarded_from),
                ):
                    if ref is not None and ref not in depths and ref not in known_nodes:
                        raise MissingParent(f"node {key} has unknown {label} node {ref}")
                parent = node.parent
                depth = 0 if parent is None else depths.get(parent, known_nodes.get(parent, 0)) + 1
                depths[key] = depth
                node_rows.append(
                    (
                        key,
                        node.message,
                        parent,
                        node.sender,
                        node.forwarded_from,
                        node.run_id,
                        node.created_at,
                        depth,
                    )
                )
            if message_rows:
                await db.executemany(
                    "INSERT INTO messages(hash, type, data, text) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(hash) DO NOTHING",
                    list(message_rows.values()),
                )
            if node_rows:
                await db.executemany(
                    "INSERT INTO nodes(hash, message, parent, sender, forwarded_from, run_id, "
                    "created_at, depth) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(hash) DO NOTHING",
                    node_rows,
                )
            if session_id is not None and node_rows:
                await db.executemany(
                    "INSERT INTO session_nodes(session_id, node_hash) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [(session_id, row[0]) for row in node_rows],
                )

        await self._write(body)

    @staticmethod
    async def _depths(db: aiosqlite.Connection, hashes: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(hashes):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT hash, depth FROM nodes WHERE hash IN ({marks})"
            found.update((row[0], row[1]) for row in await db.execute_fetchall(sql, chunk))
        return found

    @staticmethod
    async def _existing_messages(db: aiosqlite.Connection, hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(hashes):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT hash FROM messages WHERE hash IN ({marks})"
            found.update(row[0] for row in await db.execute_fetchall(sql, chunk))
        return found

    async def _resolve(self, table: str, key: str, kind: str, missing: type[Exception]) -> str:
        full = full_hash_or_none(key)
        if full is not None:
            rows = await self._read(f"SELECT hash FROM {table} WHERE hash = ?", (full,))
            if not rows:
                raise missing(f"no {kind} has hash {full}")
            return full
        low, high = _prefix_range(check_prefix(key))
        where = f"FROM {table} WHERE hash >= ? AND hash < ?"
        rows = await self._read(f"SELECT hash {where} LIMIT 2", (low, high))
        if not rows:
            raise missing(f"no {kind} hash starts with {low!r}")
        if len(rows) > 1:
            count = (await self._read(f"SELECT count(*) {where}", (low, high)))[0][0]
            raise AmbiguousPrefix(kind, low, count)
        return str(rows[0][0])

    async def get_message(self, key: str) -> Message:
        full = await self._resolve("messages", key, "message", MessageNotFound)
        return (await self.get_messages([full]))[full]

    async def get_messages(self, hashes: Sequence[str]) -> dict[str, Message]:
        found: dict[str, Message] = {}
        for chunk in _chunks(list(dict.fromkeys(hashes))):
            marks = ",".join("?" * len(chunk))
            rows = await self._read(
                f"SELECT hash, data FROM messages WHERE hash IN ({marks})", chunk
            )
            for key, data in rows:
                message = Message.from_data(json.loads(data))
                if message.hash_key != key:
                    raise CorruptDatabase(
                        f"stored message {key} rebuilds with hash {message.hash_key}: the "
                        "database was altered outside Ramify"
                    )
                found[key] = message
        return {key: found[key] for key in hashes if key in found}

    async def get_node(self, key: str) -> Node:
        full = await self._resolve("nodes", key, "node", NodeNotFound)
        rows = await self._read(f"SELECT {_NODE_COLUMNS} FROM nodes WHERE hash = ?", (full,))
        return node_from_row(rows[0])

    async def children(self, node_hash: str, *, session_id: str | None = None) -> list[Node]:
        if session_id is None:
            sql = f"SELECT {_NODE_COLUMNS} FROM nodes WHERE parent = ? ORDER BY rowid"
            rows = await self._read(sql, (node_hash,))
        else:
            sql = (
                f"SELECT {_NODE_COLUMNS} FROM nodes WHERE parent = ? AND hash IN "
                "(SELECT node_hash FROM session_nodes WHERE session_id = ?) ORDER BY rowid"
            )
            rows = await self._read(sql, (node_hash, session_id))
        return [node_from_row(row) for row in rows]

    async def path(self, node_hash: str) -> list[Node]:
        full = full_hash_or_none(node_hash) or (await self.get_node(node_hash)).hash_key
        sql = (
            "WITH RECURSIVE anc(hash, message, parent, sender, forwarded_from, run_id, "
            f"created_at, depth) AS (SELECT {_NODE_COLUMNS}, depth FROM nodes WHERE hash = ? "
            "UNION ALL SELECT n.hash, n.message, n.parent, n.sender, n.forwarded_from, "
            "n.run_id, n.created_at, n.depth FROM nodes n JOIN anc ON n.hash = anc.parent) "
            f"SELECT {_NODE_COLUMNS} FROM anc ORDER BY depth"
        )
        rows = await self._read(sql, (full,))
        if not rows:
            raise NodeNotFound(f"no node has hash {full}")
        return [node_from_row(row) for row in rows]

    async def count_nodes(self) -> int:
        return int((await self._read("SELECT count(*) FROM nodes"))[0][0])

    async def search(
        self, query: str, *, session_id: str | None = None, limit: int = 100
    ) -> list[Node]:
        match = _fts_query(query)
        if match is None:
            return []
        columns = ", ".join(f"n.{name.strip()}" for name in _NODE_COLUMNS.split(","))
        # CROSS JOIN fixes the join order: full-text match first, then the cheap lookups.
        # Left to itself the planner may scan the session and run the match once per row.
        sql = (
            f"SELECT {columns} FROM messages_fts f CROSS JOIN messages m ON m.rowid = f.rowid "
            "CROSS JOIN nodes n ON n.message = m.hash WHERE messages_fts MATCH ? "
        )
        args: list[Any] = [match]
        if session_id is not None:
            sql += (
                "AND EXISTS (SELECT 1 FROM session_nodes s "
                "WHERE s.session_id = ? AND s.node_hash = n.hash) "
            )
            args.append(session_id)
        sql += "ORDER BY n.rowid LIMIT ?"
        args.append(limit)
        return [node_from_row(row) for row in await self._read(sql, args)]

    # --- refs ---

    async def get_ref(self, session_id: str, name: str) -> Ref | None:
        rows = await self._read(
            "SELECT head FROM refs WHERE session_id = ? AND name = ?", (session_id, name)
        )
        return Ref(session_id=session_id, name=name, head=rows[0][0]) if rows else None

    async def list_refs(self, session_id: str) -> list[Ref]:
        rows = await self._read(
            "SELECT name, head FROM refs WHERE session_id = ? ORDER BY name", (session_id,)
        )
        return [Ref(session_id=session_id, name=name, head=head) for name, head in rows]

    async def move_ref(
        self, session_id: str, name: str, new: str, *, expected: str | None, reason: str
    ) -> Ref:
        async def body(db: aiosqlite.Connection) -> Ref:
            if not await db.execute_fetchall("SELECT 1 FROM nodes WHERE hash = ?", (new,)):
                raise NodeNotFound(f"cannot point branch {name!r} at unknown node {new}")
            if expected is None:
                cursor = await db.execute(
                    "INSERT INTO refs(session_id, name, head) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (session_id, name, new),
                )
            else:
                cursor = await db.execute(
                    "UPDATE refs SET head = ? WHERE session_id = ? AND name = ? AND head = ?",
                    (new, session_id, name, expected),
                )
            if cursor.rowcount != 1:
                rows = await db.execute_fetchall(
                    "SELECT head FROM refs WHERE session_id = ? AND name = ?", (session_id, name)
                )
                current = next(iter(rows))[0] if rows else None
                raise RefConflict(
                    f"branch {name!r} is at {current}, not {expected}: it moved; reload and retry"
                )
            await db.execute(
                "INSERT INTO reflog(session_id, name, old, new, reason, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, name, expected, new, reason, time.time()),
            )
            return Ref(session_id=session_id, name=name, head=new)

        return await self._write(body)

    async def reflog(self, session_id: str, name: str | None = None) -> list[ReflogEntry]:
        sql = "SELECT session_id, name, old, new, reason, at FROM reflog WHERE session_id = ?"
        args: list[Any] = [session_id]
        if name is not None:
            sql += " AND name = ?"
            args.append(name)
        rows = await self._read(sql + " ORDER BY id", args)
        return [
            ReflogEntry(session_id=sid, name=ref, old=old, new=new, reason=reason, at=at)
            for sid, ref, old, new, reason, at in rows
        ]

    # --- sessions ---

    async def put_session(self, record: SessionRecord) -> None:
        async def body(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO sessions(id, title, created_at, updated_at, active_branch, "
                "remembered_children) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "title = excluded.title, updated_at = excluded.updated_at, "
                "active_branch = excluded.active_branch, "
                "remembered_children = excluded.remembered_children",
                (
                    record.id,
                    record.title,
                    record.created_at,
                    record.updated_at,
                    record.active_branch,
                    json.dumps(record.remembered_children, sort_keys=True),
                ),
            )

        await self._write(body)

    _SESSION_COLUMNS = "id, title, created_at, updated_at, active_branch, remembered_children"

    @staticmethod
    def _session_from_row(row: Sequence[Any]) -> SessionRecord:
        session_id, title, created_at, updated_at, active_branch, remembered = row
        return SessionRecord(
            id=session_id,
            title=title,
            created_at=created_at,
            updated_at=updated_at,
            active_branch=active_branch,
            remembered_children=json.loads(remembered),
        )

    async def get_session(self, session_id: str) -> SessionRecord:
        rows = await self._read(
            f"SELECT {self._SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
        )
        if not rows:
            raise SessionNotFound(f"no session has id {session_id!r}")
        return self._session_from_row(rows[0])

    async def list_sessions(self) -> list[SessionRecord]:
        rows = await self._read(
            f"SELECT {self._SESSION_COLUMNS} FROM sessions ORDER BY updated_at DESC"
        )
        return [self._session_from_row(row) for row in rows]

    # --- runs ---

    async def put_run(self, run: Run) -> None:
        async def body(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO runs(id, session_id, parent_run_id, status, started_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "session_id = excluded.session_id, parent_run_id = excluded.parent_run_id, "
                "status = excluded.status, started_at = excluded.started_at, data = excluded.data",
                (
                    run.id,
                    run.session_id,
                    run.parent_run_id,
                    run.status.value,
                    run.started_at,
                    run.model_dump_json(),
                ),
            )

        await self._write(body)

    async def get_run(self, run_id: str) -> Run:
        rows = await self._read("SELECT data FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunNotFound(f"no run has id {run_id!r}")
        return Run.model_validate_json(rows[0][0])

    async def list_runs(
        self, *, session_id: str | None = None, parent_run_id: str | None = None
    ) -> list[Run]:
        sql = "SELECT data FROM runs WHERE 1 = 1"
        args: list[Any] = []
        if session_id is not None:
            sql += " AND session_id = ?"
            args.append(session_id)
        if parent_run_id is not None:
            sql += " AND parent_run_id = ?"
            args.append(parent_run_id)
        rows = await self._read(sql + " ORDER BY started_at, rowid", args)
        return [Run.model_validate_json(row[0]) for row in rows]
