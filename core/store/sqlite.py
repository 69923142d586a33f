"""`SQLiteStore`: the embedded default store (aiosqlite, WAL, FTS5 search)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import AmbiguousPrefix, MessageNotFound, MissingParent, NodeNotFound
from ..fast_json import fast_encoder
from ..messages import Message
from ..runs import Run
from ..tree import Node
from .base import SessionRecord, check_prefix, full_hash_or_none, search_terms
from .damage import report_damage
from .node_rows import NodeRows
from .record_rows import verified_message
from .sqlite_records import SQLiteRecords, ref_mover, run_writer, runs_writer, session_writer

if TYPE_CHECKING:
    import aiosqlite

__all__ = ["SQLiteStore"]

_NODE_COLUMNS = "hash, message, parent, sender, forwarded_from, run_id, created_at"
_N_NODE_COLUMNS = ", ".join(f"n.{name.strip()}" for name in _NODE_COLUMNS.split(","))
"""`_NODE_COLUMNS` of the `nodes` table aliased as `n`."""

# Built once: `json.dumps` with options builds a new encoder on every call.
_DATA_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_encode_data = fast_encoder(
    _DATA_JSON, {"b": [1, 2.5, "é\n", float("nan")], "a": None, "c": {"d": True}}
)

_IMPORTED_SESSION = (
    "SELECT i.session_id FROM imports i JOIN sessions s ON s.id = i.session_id WHERE i.digest = ?"
)
# SQLite's default limit on bound parameters is 999 in older builds.
_CHUNK = 900


def _in_session(nodes: str) -> str:
    """A filter on the node rows of table (or alias) `nodes`: those of the session bound to `?`."""
    return (
        "AND EXISTS (SELECT 1 FROM session_nodes s "
        f"WHERE s.session_id = ? AND s.node_row = {nodes}.rowid) "
    )


# The path to the node hashed `?`, root first, walked by parent row numbers. Depth falls at
# every step, so rows altered into a loop cannot make the walk endless; the order is the
# walk's own, so an altered depth cannot reorder it.
_PATH = (
    f"WITH RECURSIVE anc({_NODE_COLUMNS}, depth, parent_row, level) AS ("
    f"SELECT {_NODE_COLUMNS}, depth, parent_row, 0 FROM nodes WHERE hash = ? "
    f"UNION ALL SELECT {_N_NODE_COLUMNS}, n.depth, n.parent_row, anc.level + 1 "
    "FROM nodes n JOIN anc ON n.rowid = anc.parent_row AND n.depth < anc.depth) "
    f"SELECT {_NODE_COLUMNS} FROM anc ORDER BY level DESC"
)


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


class SQLiteStore(SQLiteRecords):
    """A `Store` in one SQLite file: WAL, ``synchronous=NORMAL``, FTS5 over message text.

    `path` defaults to `default_database_path()`. A corrupt, foreign or newer-schema file raises
    a `DatabaseFileError` on `open` and is never written to. Message and node rows are re-hashed
    as they are read; a damaged one reads as a stand-in (see `damage` and `node_rows`).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(path)
        self._node_rows = NodeRows()

    # --- messages and nodes ---

    async def put_nodes(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message] = (),
        *,
        session_id: str | None = None,
    ) -> None:
        await self._write(self._nodes_writer(nodes, messages, session_id))

    def _nodes_writer(
        self, nodes: Sequence[Node], messages: Sequence[Message], session_id: str | None
    ) -> Callable[[aiosqlite.Connection], Awaitable[None]]:
        """The body of a transaction that stores `nodes` and `messages` (see `put_nodes`)."""
        message_rows: dict[str, tuple[str, str, str, str]] = {}
        for message in messages:
            key = message.hash_key
            if key not in message_rows:
                data = message.to_data()
                message_rows[key] = (key, data["$type"], _encode_data(data), message.text)
        keyed = [(node.hash_key, node) for node in nodes]
        in_batch = {key for key, _ in keyed}
        outside = sorted(
            {
                ref
                for _, node in keyed
                for ref in (node.parent, node.forwarded_from)
                if ref is not None and ref not in in_batch
            }
        )
        wanted_messages = sorted({node.message for node in nodes} - message_rows.keys())

        async def body(db: aiosqlite.Connection) -> None:
            depths: dict[str, int] = {}
            known_nodes = await self._depths(db, outside)
            known_messages = await self._existing_messages(db, wanted_messages)
            node_rows = []
            for key, node in keyed:
                message = node.message
                if message not in message_rows and message not in known_messages:
                    raise MissingParent(f"node {key} refers to unknown message {message}")
                parent = node.parent
                forwarded_from = node.forwarded_from
                # Spelled out for each of the two: a loop over them cost more than the checks.
                if parent is not None and parent not in depths and parent not in known_nodes:
                    raise MissingParent(f"node {key} has unknown parent node {parent}")
                if (
                    forwarded_from is not None
                    and forwarded_from not in depths
                    and forwarded_from not in known_nodes
                ):
                    raise MissingParent(
                        f"node {key} has unknown forwarded-from node {forwarded_from}"
                    )
                depth = 0 if parent is None else depths.get(parent, known_nodes.get(parent, 0)) + 1
                depths[key] = depth
                node_rows.append(
                    (
                        key,
                        message,
                        parent,
                        node.sender,
                        forwarded_from,
                        node.run_id,
                        node.created_at,
                        depth,
                        message,
                        parent,
                    )
                )
            # Rowids grow by one per insert, nothing is ever deleted and this transaction holds
            # the write lock, so the rows past these ends afterwards are the rows it added.
            ends = await db.execute_fetchall(
                "SELECT (SELECT coalesce(max(rowid), 0) FROM messages), "
                "(SELECT coalesce(max(rowid), 0) FROM nodes)"
            )
            messages_end, nodes_end = next(iter(ends))
            if message_rows:
                await db.executemany(
                    "INSERT INTO messages(hash, type, data, text) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(hash) DO NOTHING",
                    list(message_rows.values()),
                )
                # One statement for the batch: a per-row trigger made bulk inserts a third slower.
                await db.execute(
                    "INSERT INTO messages_fts(rowid, text) "
                    "SELECT rowid, text FROM messages WHERE rowid > ?",
                    (messages_end,),
                )
            if not node_rows:
                return
            # Row by row, so a parent inserted earlier in the batch is found by the next rows.
            added = await db.executemany(
                "INSERT INTO nodes(hash, message, parent, sender, forwarded_from, run_id, "
                "created_at, depth, message_row, parent_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "(SELECT rowid FROM messages WHERE hash = ?), "
                "(SELECT rowid FROM nodes WHERE hash = ?)) ON CONFLICT(hash) DO NOTHING",
                node_rows,
            )
            if session_id is None:
                return
            if added.rowcount == len(node_rows):
                await db.execute(
                    "INSERT INTO session_nodes(session_id, node_row) "
                    "SELECT ?, rowid FROM nodes WHERE rowid > ? ON CONFLICT DO NOTHING",
                    (session_id, nodes_end),
                )
            else:
                await db.executemany(
                    "INSERT INTO session_nodes(session_id, node_row) "
                    "SELECT ?, rowid FROM nodes WHERE hash = ? ON CONFLICT DO NOTHING",
                    [(session_id, row[0]) for row in node_rows],
                )

        return body

    async def put_nodes_and_runs(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        runs: Sequence[Run],
        *,
        session_id: str | None = None,
    ) -> None:
        parts: list[Callable[[aiosqlite.Connection], Awaitable[None]]] = []
        if nodes or messages:
            parts.append(self._nodes_writer(nodes, messages, session_id))
        if runs:
            parts.append(runs_writer(runs))
        if parts:
            await self._write_in_one_hop(parts)

    # --- imports ---

    async def put_imported_session(
        self,
        record: SessionRecord,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        refs: Mapping[str, str],
        runs: Sequence[Run],
        *,
        digest: str,
    ) -> str:
        parts = [
            self._nodes_writer(nodes, messages, record.id),
            *(ref_mover(record.id, name, head, None, "import") for name, head in refs.items()),
            # After the refs: each move marks the session used now, and the file's times stand.
            session_writer(record),
            *(run_writer(run) for run in runs),
        ]

        async def body(db: aiosqlite.Connection) -> str:
            rows = await db.execute_fetchall(_IMPORTED_SESSION, (digest,))
            for (session_id,) in rows:
                return str(session_id)
            for part in parts:
                await part(db)
            await db.execute(
                "INSERT INTO imports(digest, session_id, at) VALUES (?, ?, ?) "
                "ON CONFLICT(digest) DO UPDATE SET session_id = excluded.session_id, "
                "at = excluded.at",
                (digest, record.id, time.time()),
            )
            return record.id

        return await self._write(body)

    async def imported_session(self, digest: str) -> str | None:
        rows = await self._read(_IMPORTED_SESSION, (digest,))
        return str(rows[0][0]) if rows else None

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
        stand_in = self._node_rows.stand_in(key)
        if stand_in is not None:
            return stand_in
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
                found[key] = verified_message(key, data)
        for key in hashes:
            if key not in found:
                stand_in = self._node_rows.stand_in(key)
                if stand_in is not None:
                    found[key] = stand_in
        return {key: found[key] for key in hashes if key in found}

    async def get_node(self, key: str) -> Node:
        full = await self._resolve("nodes", key, "node", NodeNotFound)
        rows = await self._read(f"SELECT {_NODE_COLUMNS} FROM nodes WHERE hash = ?", (full,))
        return (await self._placed([self._node_rows.node(rows[0])]))[0]

    async def children(self, node_hash: str, *, session_id: str | None = None) -> list[Node]:
        sql = (
            f"SELECT {_NODE_COLUMNS} FROM nodes "
            "WHERE parent_row = (SELECT rowid FROM nodes WHERE hash = ?) "
        )
        args: list[Any] = [node_hash]
        if session_id is not None:
            sql += _in_session("nodes")
            args.append(session_id)
        rows = self._node_rows.nodes(await self._read(sql + "ORDER BY rowid", args))
        found = [self._node_rows.under(node, node_hash) for node in rows]
        # The parent row number is an index no hash covers: a child whose hash says otherwise
        # was moved here outside Ramify.
        for node in found:
            if node.parent != node_hash:
                report_damage("node", node.hash_key, f"its parent row is not node {node_hash}")
        return [node for node in found if node.parent == node_hash]

    async def path(self, node_hash: str) -> list[Node]:
        full = full_hash_or_none(node_hash) or (await self.get_node(node_hash)).hash_key
        path = await self._walk(full)
        if not path:
            raise NodeNotFound(f"no node has hash {full}")
        if path[0].parent is None:
            return path
        return await self._mended(path)

    async def _walk(self, key: str) -> list[Node]:
        """The hash-linked part of the walk up from the node hashed `key`, root-most first."""
        path = self._node_rows.relinked(self._node_rows.nodes(await self._read(_PATH, (key,))))
        path = path[NodeRows.linked_from(path) :]
        if path and self._node_rows.is_stand_in(path[0]):
            # Where the walk ended, a stand-in's suspect parent hash is not followed either.
            path[0] = (await self._placed(path[:1]))[0]
        return path

    async def _mended(self, path: list[Node]) -> list[Node]:
        """`path` continued by parent hash above where its walk by parent row numbers left the
        hash chain (rows altered outside Ramify); each break is reported. A loop of altered
        rows ends the path there."""
        seen = {node.hash_key for node in path}
        while path[0].parent is not None:
            top, parent = path[0], path[0].parent
            above = await self._walk(parent)
            if not above or any(node.hash_key in seen for node in above):
                why = "is not in the database" if not above else "leads back to itself"
                report_damage("node", top.hash_key, f"its parent {parent} {why}")
                break
            report_damage("node", top.hash_key, "its parent row number is not its parent's")
            seen.update(node.hash_key for node in above)
            path = above + path
        return path

    async def _placed(self, nodes: list[Node]) -> list[Node]:
        """`nodes` with each stand-in for a damaged row under the node its parent row number
        names (its parent hash is suspect; see `NodeRows.under`)."""
        if not self._node_rows.has_stand_ins:
            return nodes
        placed = []
        for node in nodes:
            if self._node_rows.is_stand_in(node):
                rows = await self._read(
                    "SELECT p.hash FROM nodes n JOIN nodes p ON p.rowid = n.parent_row "
                    "WHERE n.hash = ?",
                    (node.hash_key,),
                )
                node = self._node_rows.under(node, rows[0][0] if rows else None)
            placed.append(node)
        return placed

    async def count_nodes(self) -> int:
        return int((await self._read("SELECT count(*) FROM nodes"))[0][0])

    async def session_nodes(self, session_id: str) -> list[Node]:
        sql = (
            f"SELECT {_NODE_COLUMNS} FROM nodes WHERE rowid IN "
            "(SELECT node_row FROM session_nodes WHERE session_id = ?) ORDER BY rowid"
        )
        return await self._placed(self._node_rows.nodes(await self._read(sql, (session_id,))))

    async def search(
        self, query: str, *, session_id: str | None = None, limit: int = 100
    ) -> list[Node]:
        match = _fts_query(query)
        if match is None:
            return []
        # CROSS JOIN fixes the join order: full-text match first, then the cheap lookups.
        # Left to itself the planner may scan the session and run the match once per row.
        sql = (
            f"SELECT {_N_NODE_COLUMNS} FROM messages_fts f "
            "CROSS JOIN nodes n ON n.message_row = f.rowid "
            "WHERE messages_fts MATCH ? "
        )
        args: list[Any] = [match]
        if session_id is not None:
            sql += _in_session("n")
            args.append(session_id)
        sql += "ORDER BY n.rowid LIMIT ?"
        args.append(limit)
        return await self._placed(self._node_rows.nodes(await self._read(sql, args)))
