"""`PostgresStore`: the shared, server-backed store (asyncpg, LISTEN/NOTIFY, tsvector search).

Use it as ``async with PostgresStore("postgresql://user@host:port/db") as store:``, exactly as
`SQLiteStore`. The password comes from PGPASSWORD or ~/.pgpass (asyncpg reads both) or the URL,
and never appears in any message (`postgres_errors`). asyncpg is imported only when the store
opens; without it, opening says to ``pip install "ramify[postgres]"``.

The schema (`postgres_schema`) is SQLite's, portable: content-addressed messages and nodes
written idempotently (``ON CONFLICT DO NOTHING``) a batch per statement (``unnest`` of arrays),
refs moved only by compare-and-swap with a reflog, runs, sessions and their membership. The
ancestor path is one recursive query. Search runs on a GIN-indexed tsvector built from the
words `search_terms` finds (the 'simple' configuration: no stemming, no stop words), so a query
matches here what it matches in the other stores. Every write transaction notifies a channel on
commit; `data_version` counts other connections' notifications, so an IDE on the same session
sees another writer's nodes live.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import AmbiguousPrefix, MessageNotFound, MissingParent, NodeNotFound
from ..messages import Message
from ..runs import Run
from ..tree import Node, ReflogEntry
from .base import SessionRecord, check_prefix, full_hash_or_none, search_terms
from .damage import report_damage
from .node_rows import NodeRows
from .postgres_history import history_writer
from .postgres_records import (
    Body,
    PostgresRecords,
    ref_mover,
    run_writer,
    runs_writer,
    session_writer,
)
from .record_rows import verified_message

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresStore"]

_NODE_COLUMNS = "hash, message, parent, sender, forwarded_from, run_id, created_at"
_N_NODE_COLUMNS = ", ".join(f"n.{name.strip()}" for name in _NODE_COLUMNS.split(","))
_DATA_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_IMPORTED_SESSION = (
    "SELECT i.session_id FROM imports i JOIN sessions s ON s.id = i.session_id WHERE i.digest = $1"
)
# The path to the node hashed $1, root first. Depth falls at every step, so rows altered into a
# loop cannot make the walk endless.
_PATH = (
    f"WITH RECURSIVE anc({_NODE_COLUMNS}, depth, level) AS ("
    f"SELECT {_NODE_COLUMNS}, depth, 0 FROM nodes WHERE hash = $1 "
    f"UNION ALL SELECT {_N_NODE_COLUMNS}, n.depth, anc.level + 1 "
    "FROM nodes n JOIN anc ON n.hash = anc.parent AND n.depth < anc.depth) "
    f"SELECT {_NODE_COLUMNS} FROM anc ORDER BY level DESC"
)
# A tsvector holds at most 1 MB; the words of a message past this many characters are not
# indexed (searches find a huge reply by its beginning). At 4 bytes a character plus position
# entries this stays well under the limit.
_INDEXED_CHARS = 100_000
# What `search_terms` counts as a word: letters and digits.
_WORD = re.compile(r"[^\W_]+")


def _in_session(nodes: str, placeholder: str) -> str:
    """A filter on the node rows of alias `nodes`: those of the session bound to `placeholder`.

    A correlated scalar subquery, so it is one index probe per row the rest of the query
    found: an EXISTS may be planned as a scan of the whole session.
    """
    return (
        "AND (SELECT true FROM session_nodes s "
        f"WHERE s.session_id = {placeholder} AND s.node_id = {nodes}.id) "
    )


def _indexed_words(text: str) -> str:
    """The words of `text` as `search_terms` reads them, space-separated, for `to_tsvector`."""
    # One pass over the whole text finds the words `search_terms` finds part by part (white
    # space is no word character), at a fifth of the cost.
    words = " ".join(_WORD.findall(text.lower()))
    return words[:_INDEXED_CHARS].rpartition(" ")[0] if len(words) > _INDEXED_CHARS else words


def _plain_text(text: str) -> str:
    # PostgreSQL text cannot hold NUL. The message itself is kept whole in `data` (JSON
    # escapes it); this copy is only shown as a preview.
    return text.replace("\x00", "")


class PostgresStore(PostgresRecords):
    """A `Store` in a PostgreSQL database, shared by every process that names it.

    `dsn` is a ``postgresql://user@host:port/database`` URL. Opening connects, creates the
    schema on first use and migrates it in place; a schema newer than this code is refused
    (`SchemaTooNew`). Server trouble raises a `StoreError` subclass from `postgres_errors`.
    """

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn)
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

    async def put_nodes_and_runs(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        runs: Sequence[Run],
        *,
        session_id: str | None = None,
    ) -> None:
        parts: list[Body[None]] = []
        if nodes or messages:
            parts.append(self._nodes_writer(nodes, messages, session_id))
        if runs:
            parts.append(runs_writer(runs))
        if not parts:
            return

        async def body(db: asyncpg.Connection) -> None:
            for part in parts:
                await part(db)

        await self._write(body)

    def _nodes_writer(
        self, nodes: Sequence[Node], messages: Sequence[Message], session_id: str | None
    ) -> Body[None]:
        """The body of a transaction that stores `nodes` and `messages` (see `put_nodes`)."""
        message_rows: dict[str, tuple[str, str, str, str, str]] = {}
        for message in messages:
            key = message.hash_key
            if key not in message_rows:
                data = message.to_data()
                message_rows[key] = (
                    key,
                    data["$type"],
                    _DATA_JSON.encode(data),
                    _plain_text(message.text),
                    _indexed_words(message.text),
                )
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

        async def body(db: asyncpg.Connection) -> None:
            known_nodes: dict[str, int] = {}
            if outside:
                rows = await db.fetch(
                    "SELECT hash, depth FROM nodes WHERE hash = ANY($1::text[])", outside
                )
                known_nodes = {row[0]: row[1] for row in rows}
            known_messages: set[str] = set()
            if wanted_messages:
                rows = await db.fetch(
                    "SELECT hash FROM messages WHERE hash = ANY($1::text[])", wanted_messages
                )
                known_messages = {row[0] for row in rows}
            depths: dict[str, int] = {}
            columns: list[list[Any]] = [[] for _ in range(8)]
            for key, node in keyed:
                message = node.message
                if message not in message_rows and message not in known_messages:
                    raise MissingParent(f"node {key} refers to unknown message {message}")
                parent = node.parent
                for label, ref in (("parent", parent), ("forwarded-from", node.forwarded_from)):
                    if ref is not None and ref not in depths and ref not in known_nodes:
                        raise MissingParent(f"node {key} has unknown {label} node {ref}")
                depth = 0 if parent is None else depths.get(parent, known_nodes.get(parent, 0)) + 1
                depths[key] = depth
                row = (
                    key,
                    message,
                    parent,
                    node.sender,
                    node.forwarded_from,
                    node.run_id,
                    node.created_at,
                    depth,
                )
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
            if message_rows:
                await db.execute(
                    "INSERT INTO messages(hash, type, data, text, words) "
                    "SELECT h, t, d, x, to_tsvector('simple', w) FROM unnest("
                    "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[]"
                    ") AS u(h, t, d, x, w) ON CONFLICT (hash) DO NOTHING",
                    *(list(column) for column in zip(*message_rows.values(), strict=True)),
                )
            if not keyed:
                return
            # In batch order, so ids (and "oldest first") follow the order nodes were given.
            added = await db.fetch(
                "INSERT INTO nodes(hash, message, parent, sender, forwarded_from, run_id, "
                "created_at, depth) SELECT h, m, p, s, f, r, c, d FROM unnest("
                "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
                "$7::float8[], $8::int[]) WITH ORDINALITY AS u(h, m, p, s, f, r, c, d, o) "
                "ORDER BY o ON CONFLICT (hash) DO NOTHING RETURNING id",
                *columns,
            )
            if session_id is None:
                return
            if len(added) == len(keyed):
                # All new: their ids came back, so no lookup by hash is needed.
                await db.execute(
                    "INSERT INTO session_nodes(session_id, node_id) "
                    "SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
                    session_id,
                    [row[0] for row in added],
                )
            else:
                await db.execute(
                    "INSERT INTO session_nodes(session_id, node_id) "
                    "SELECT $1, id FROM nodes WHERE hash = ANY($2::text[]) "
                    "ON CONFLICT DO NOTHING",
                    session_id,
                    columns[0],
                )

        return body

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

        async def body(db: asyncpg.Connection) -> str:
            existing = await db.fetchval(_IMPORTED_SESSION, digest)
            if existing is not None:
                return str(existing)
            for part in parts:
                await part(db)
            await db.execute(
                "INSERT INTO imports(digest, session_id, at) VALUES ($1, $2, $3) "
                "ON CONFLICT(digest) DO UPDATE SET session_id = excluded.session_id, "
                "at = excluded.at",
                digest,
                record.id,
                time.time(),
            )
            return record.id

        return await self._write(body)

    async def imported_session(self, digest: str) -> str | None:
        rows = await self._read(_IMPORTED_SESSION, (digest,))
        return str(rows[0][0]) if rows else None

    async def import_digests(self, session_id: str) -> list[str]:
        rows = await self._read("SELECT digest FROM imports WHERE session_id = $1", (session_id,))
        return sorted(str(row[0]) for row in rows)

    async def put_branch_history(
        self,
        session_id: str,
        heads: Mapping[str, str | None],
        *,
        expected: Mapping[str, str | None],
        reflog: Sequence[ReflogEntry] = (),
        digests: Sequence[str] = (),
    ) -> None:
        await self._write(history_writer(session_id, heads, expected, reflog, digests))

    # --- reads ---

    async def _resolve(self, table: str, key: str, kind: str, missing: type[Exception]) -> str:
        full = full_hash_or_none(key)
        if full is not None:
            if not await self._read(f"SELECT hash FROM {table} WHERE hash = $1", (full,)):
                raise missing(f"no {kind} has hash {full}")
            return full
        low = check_prefix(key)
        # Hashes are lowercase hex in byte order (collation "C"): a prefix is an index range.
        where = f"FROM {table} WHERE hash >= $1 AND hash < $2"
        rows = await self._read(f"SELECT hash {where} LIMIT 2", (low, low + "g"))
        if not rows:
            raise missing(f"no {kind} hash starts with {low!r}")
        if len(rows) > 1:
            count = (await self._read(f"SELECT count(*) {where}", (low, low + "g")))[0][0]
            raise AmbiguousPrefix(kind, low, count)
        return str(rows[0][0])

    def _nodes(self, rows: Sequence[Any]) -> list[Node]:
        return self._node_rows.nodes([tuple(row) for row in rows])

    async def get_message(self, key: str) -> Message:
        stand_in = self._node_rows.stand_in(key)
        if stand_in is not None:
            return stand_in
        full = await self._resolve("messages", key, "message", MessageNotFound)
        return (await self.get_messages([full]))[full]

    async def get_messages(self, hashes: Sequence[str]) -> dict[str, Message]:
        unique = list(dict.fromkeys(hashes))
        rows = await self._read(
            "SELECT hash, data FROM messages WHERE hash = ANY($1::text[])", (unique,)
        )
        found = {key: verified_message(key, data) for key, data in rows}
        for key in unique:
            if key not in found:
                stand_in = self._node_rows.stand_in(key)
                if stand_in is not None:
                    found[key] = stand_in
        return {key: found[key] for key in hashes if key in found}

    async def get_node(self, key: str) -> Node:
        full = await self._resolve("nodes", key, "node", NodeNotFound)
        rows = await self._read(f"SELECT {_NODE_COLUMNS} FROM nodes WHERE hash = $1", (full,))
        return self._nodes(rows)[0]

    async def children(self, node_hash: str, *, session_id: str | None = None) -> list[Node]:
        sql = f"SELECT {_N_NODE_COLUMNS} FROM nodes n WHERE n.parent = $1 "
        args: list[Any] = [node_hash]
        if session_id is not None:
            sql += _in_session("n", "$2")
            args.append(session_id)
        found = self._nodes(await self._read(sql + "ORDER BY n.id", args))
        return [node for node in found if node.parent == node_hash]

    async def path(self, node_hash: str) -> list[Node]:
        full = full_hash_or_none(node_hash) or (await self.get_node(node_hash)).hash_key
        path = self._nodes(await self._read(_PATH, (full,)))
        if not path:
            raise NodeNotFound(f"no node has hash {full}")
        top = path[0]
        if top.parent is not None:
            report_damage("node", top.hash_key, f"its parent {top.parent} is not in the database")
        return path

    async def count_nodes(self) -> int:
        return int((await self._read("SELECT count(*) FROM nodes"))[0][0])

    async def session_nodes(self, session_id: str) -> list[Node]:
        sql = (
            f"SELECT {_N_NODE_COLUMNS} FROM session_nodes s JOIN nodes n ON n.id = s.node_id "
            "WHERE s.session_id = $1 ORDER BY n.id"
        )
        return self._nodes(await self._read(sql, (session_id,)))

    async def search(
        self, query: str, *, session_id: str | None = None, limit: int = 100
    ) -> list[Node]:
        terms = search_terms(query)
        if not terms:
            return []
        # Each term is a phrase of plain words, parsed as the indexed words were: user text
        # is never query syntax.
        args: list[Any] = [" ".join(words) for words in terms]
        match = " && ".join(f"phraseto_tsquery('simple', ${i})" for i in range(1, len(args) + 1))
        # Every match is found first (by the word index), then its nodes by index lookups, then
        # ordered. The shape leaves the planner no choice: on statistics not yet refreshed
        # after a bulk load it walked all nodes in id order testing each, or scanned the
        # session, and took 100x longer.
        sql = (
            f"WITH found AS MATERIALIZED (SELECT hash FROM messages WHERE words @@ ({match})) "
            f"SELECT {_N_NODE_COLUMNS} FROM found CROSS JOIN LATERAL "
            # OFFSET 0 keeps the subquery from being merged into the outer query.
            f"(SELECT id, {_NODE_COLUMNS} FROM nodes WHERE message = found.hash OFFSET 0) n "
            "WHERE true "
        )
        if session_id is not None:
            args.append(session_id)
            sql += _in_session("n", f"${len(args)}")
        args.append(limit)
        sql += f"ORDER BY n.id LIMIT ${len(args)}"
        return self._nodes(await self._read(sql, args))
