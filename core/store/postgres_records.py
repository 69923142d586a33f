"""Branch heads, sessions and runs in PostgreSQL: the record half of `PostgresStore`.

A head moves by ``UPDATE refs ... WHERE head = expected``: under READ COMMITTED a second
writer waits for the first one's row lock, then re-checks the condition against the committed
head, so of two moves from the same head exactly one changes a row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import BranchNotFound, NodeNotFound, RefConflict, RunNotFound, SessionNotFound
from ..runs import Run, RunStatus
from ..tree import Ref, ReflogEntry
from .base import FIRST_TEXT_CHARS, REASON_DELETE, REASON_RENAME, SessionRecord, SessionSummary
from .postgres_connection import PostgresConnection
from .record_rows import readable_rows, run_from_row, run_row, session_from_row

if TYPE_CHECKING:
    import asyncpg

__all__ = ["Body", "PostgresRecords", "ref_mover", "run_writer", "runs_writer", "session_writer"]

_T = TypeVar("_T")

Body = Callable[["asyncpg.Connection"], Awaitable[_T]]
"""A transaction body (for `PostgresConnection._write`); an import runs several in one."""

_SESSION_COLUMNS = "id, title, created_at, updated_at, active_branch, remembered_children"

# The nodes on the path to the node hashed $2 that no other branch of session $1 reaches
# (run after that branch's ref row is gone).
ONLY_ON_PATH = (
    "WITH RECURSIVE "
    "gone(id, parent) AS ("
    "SELECT id, parent FROM nodes WHERE hash = $2 "
    "UNION SELECT n.id, n.parent FROM nodes n JOIN gone g ON n.hash = g.parent), "
    "kept(id, parent) AS ("
    "SELECT n.id, n.parent FROM refs r JOIN nodes n ON n.hash = r.head "
    "WHERE r.session_id = $1 "
    "UNION SELECT n.id, n.parent FROM nodes n JOIN kept k ON n.hash = k.parent) "
    "SELECT id FROM gone EXCEPT SELECT id FROM kept"
)


async def _log(
    db: asyncpg.Connection, session_id: str, name: str, old: str | None, new: str, reason: str
) -> None:
    """Log a ref change and mark the session updated: a branch move is a use of the session."""
    now = time.time()
    await db.execute(
        "INSERT INTO reflog(session_id, name, old, new, reason, at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        session_id,
        name,
        old,
        new,
        reason,
        now,
    )
    await db.execute(
        "UPDATE sessions SET updated_at = greatest(updated_at, $1) WHERE id = $2", now, session_id
    )


async def _head(db: asyncpg.Connection, session_id: str, name: str) -> str | None:
    head = await db.fetchval(
        "SELECT head FROM refs WHERE session_id = $1 AND name = $2", session_id, name
    )
    return None if head is None else str(head)


def _moved(name: str, current: str | None, expected: str | None) -> RefConflict:
    return RefConflict(
        f"branch {name!r} is at {current}, not {expected}: it moved; reload and retry"
    )


class PostgresRecords(PostgresConnection):
    """Refs (compare-and-swap with a reflog), sessions and runs over the store's connection."""

    # --- refs ---

    async def get_ref(self, session_id: str, name: str) -> Ref | None:
        rows = await self._read(
            "SELECT head FROM refs WHERE session_id = $1 AND name = $2", (session_id, name)
        )
        return Ref(session_id=session_id, name=name, head=rows[0][0]) if rows else None

    async def list_refs(self, session_id: str) -> list[Ref]:
        rows = await self._read(
            'SELECT name, head FROM refs WHERE session_id = $1 ORDER BY name COLLATE "C"',
            (session_id,),
        )
        return [Ref(session_id=session_id, name=name, head=head) for name, head in rows]

    async def move_ref(
        self, session_id: str, name: str, new: str, *, expected: str | None, reason: str
    ) -> Ref:
        return await self._write(ref_mover(session_id, name, new, expected, reason))

    async def delete_ref(self, session_id: str, name: str, *, expected: str) -> None:
        async def body(db: asyncpg.Connection) -> None:
            current = await db.fetchval(
                "SELECT head FROM refs WHERE session_id = $1 AND name = $2 FOR UPDATE",
                session_id,
                name,
            )
            if current is None:
                raise BranchNotFound(f"session has no branch {name!r}")
            if current != expected:
                raise _moved(name, current, expected)
            await db.execute(
                "DELETE FROM refs WHERE session_id = $1 AND name = $2", session_id, name
            )
            await _log(db, session_id, name, current, current, REASON_DELETE)
            await db.execute(
                f"DELETE FROM session_nodes WHERE session_id = $1 AND node_id IN ({ONLY_ON_PATH})",
                session_id,
                current,
            )

        await self._write(body)

    async def rename_ref(self, session_id: str, name: str, new_name: str) -> Ref:
        async def body(db: asyncpg.Connection) -> Ref:
            head = await db.fetchval(
                "SELECT head FROM refs WHERE session_id = $1 AND name = $2 FOR UPDATE",
                session_id,
                name,
            )
            if head is None:
                raise BranchNotFound(f"session has no branch {name!r}")
            if await _head(db, session_id, new_name) is not None:
                raise RefConflict(f"branch {new_name!r} already exists: choose another name")
            args = (new_name, session_id, name)
            await db.execute("UPDATE refs SET name = $1 WHERE session_id = $2 AND name = $3", *args)
            await db.execute(
                "UPDATE reflog SET name = $1 WHERE session_id = $2 AND name = $3", *args
            )
            await db.execute(
                "UPDATE sessions SET active_branch = $1 WHERE id = $2 AND active_branch = $3",
                *args,
            )
            await _log(db, session_id, new_name, head, head, f"{REASON_RENAME} from {name}")
            return Ref(session_id=session_id, name=new_name, head=head)

        return await self._write(body)

    async def reflog(self, session_id: str, name: str | None = None) -> list[ReflogEntry]:
        sql = "SELECT session_id, name, old, new, reason, at FROM reflog WHERE session_id = $1"
        args: list[Any] = [session_id]
        if name is not None:
            sql += " AND name = $2"
            args.append(name)
        rows = await self._read(sql + " ORDER BY id", args)
        return [
            ReflogEntry(session_id=sid, name=ref, old=old, new=new, reason=reason, at=at)
            for sid, ref, old, new, reason, at in rows
        ]

    # --- sessions ---

    async def put_session(self, record: SessionRecord) -> None:
        await self._write(session_writer(record))

    async def get_session(self, session_id: str) -> SessionRecord:
        rows = await self._read(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = $1", (session_id,)
        )
        if not rows:
            raise SessionNotFound(f"no session has id {session_id!r}")
        return session_from_row(tuple(rows[0]))

    async def list_sessions(self) -> list[SessionRecord]:
        rows = await self._read(f"SELECT {_SESSION_COLUMNS} FROM sessions ORDER BY updated_at DESC")
        return readable_rows(session_from_row, [tuple(row) for row in rows])

    async def rename_session(self, session_id: str, title: str) -> None:
        async def body(db: asyncpg.Connection) -> None:
            status = await db.execute(
                "UPDATE sessions SET title = $1, updated_at = greatest(updated_at, $2) "
                "WHERE id = $3",
                title,
                time.time(),
                session_id,
            )
            if status != "UPDATE 1":
                raise SessionNotFound(f"no session has id {session_id!r}")

        await self._write(body)

    async def delete_session(self, session_id: str) -> None:
        async def body(db: asyncpg.Connection) -> None:
            status = await db.execute("DELETE FROM sessions WHERE id = $1", session_id)
            if status != "DELETE 1":
                raise SessionNotFound(f"no session has id {session_id!r}")
            for table in ("session_nodes", "refs", "reflog", "runs"):
                await db.execute(f"DELETE FROM {table} WHERE session_id = $1", session_id)

        await self._write(body)

    async def session_summaries(self) -> list[SessionSummary]:
        rows = await self._read(
            f"SELECT {_SESSION_COLUMNS}, "
            "(SELECT count(*) FROM session_nodes m WHERE m.session_id = sessions.id), "
            f"(SELECT substr(t.text, 1, {FIRST_TEXT_CHARS}) FROM session_nodes m "
            "JOIN nodes n ON n.id = m.node_id JOIN messages t ON t.hash = n.message "
            "WHERE m.session_id = sessions.id ORDER BY m.node_id LIMIT 1) "
            "FROM sessions ORDER BY updated_at DESC"
        )
        return readable_rows(
            lambda row: SessionSummary(
                record=session_from_row(row[:6]),
                message_count=row[6],
                first_text=row[7] or "",
            ),
            [tuple(row) for row in rows],
        )

    # --- runs ---

    async def put_run(self, run: Run) -> None:
        await self._write(run_writer(run))

    async def put_runs(self, runs: Sequence[Run]) -> None:
        if runs:
            await self._write(runs_writer(runs))

    async def get_run(self, run_id: str) -> Run:
        rows = await self._read("SELECT id, data FROM runs WHERE id = $1", (run_id,))
        if not rows:
            raise RunNotFound(f"no run has id {run_id!r}")
        return run_from_row(tuple(rows[0]))

    async def list_runs(
        self, *, session_id: str | None = None, parent_run_id: str | None = None
    ) -> list[Run]:
        sql = "SELECT id, data FROM runs WHERE true"
        args: list[Any] = []
        if session_id is not None:
            args.append(session_id)
            sql += f" AND session_id = ${len(args)}"
        if parent_run_id is not None:
            args.append(parent_run_id)
            sql += f" AND parent_run_id = ${len(args)}"
        rows = await self._read(sql + " ORDER BY started_at, seq", args)
        return readable_rows(run_from_row, [tuple(row) for row in rows])

    async def find_run(
        self,
        session_id: str,
        fingerprint: str,
        input_node: str | None,
        *,
        status: RunStatus = RunStatus.DONE,
        require_output: bool = False,
    ) -> Run | None:
        sql = (
            "SELECT id, data FROM runs WHERE session_id = $1 AND fingerprint = $2 "
            "AND input_node IS NOT DISTINCT FROM $3 AND status = $4"
        )
        if require_output:
            sql += " AND json_array_length((data::json) -> 'output_nodes') > 0"
        rows = await self._read(
            sql + " ORDER BY started_at DESC, seq DESC LIMIT 1",
            (session_id, fingerprint, input_node, status.value),
        )
        # A damaged cached run is no cache hit: the agent runs again.
        found = readable_rows(run_from_row, [tuple(row) for row in rows])
        return found[0] if found else None


def ref_mover(session_id: str, name: str, new: str, expected: str | None, reason: str) -> Body[Ref]:
    async def body(db: asyncpg.Connection) -> Ref:
        if await db.fetchval("SELECT 1 FROM nodes WHERE hash = $1", new) is None:
            raise NodeNotFound(f"cannot point branch {name!r} at unknown node {new}")
        if expected is None:
            status = await db.execute(
                "INSERT INTO refs(session_id, name, head) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING",
                session_id,
                name,
                new,
            )
            moved = status == "INSERT 0 1"
        else:
            status = await db.execute(
                "UPDATE refs SET head = $1 WHERE session_id = $2 AND name = $3 AND head = $4",
                new,
                session_id,
                name,
                expected,
            )
            moved = status == "UPDATE 1"
        if not moved:
            raise _moved(name, await _head(db, session_id, name), expected)
        await _log(db, session_id, name, expected, new, reason)
        return Ref(session_id=session_id, name=name, head=new)

    return body


def session_writer(record: SessionRecord) -> Body[None]:
    async def body(db: asyncpg.Connection) -> None:
        await db.execute(
            "INSERT INTO sessions(id, title, created_at, updated_at, active_branch, "
            "remembered_children) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(id) DO UPDATE SET "
            "title = excluded.title, updated_at = excluded.updated_at, "
            "active_branch = excluded.active_branch, "
            "remembered_children = excluded.remembered_children",
            record.id,
            record.title,
            record.created_at,
            record.updated_at,
            record.active_branch,
            json.dumps(record.remembered_children, sort_keys=True),
        )

    return body


_PUT_RUN = (
    "INSERT INTO runs(id, session_id, parent_run_id, status, started_at, "
    "fingerprint, input_node, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT(id) DO UPDATE SET "
    "session_id = excluded.session_id, parent_run_id = excluded.parent_run_id, "
    "status = excluded.status, started_at = excluded.started_at, "
    "fingerprint = excluded.fingerprint, input_node = excluded.input_node, "
    "data = excluded.data"
)


def run_writer(run: Run) -> Body[None]:
    return runs_writer((run,))


def runs_writer(runs: Sequence[Run]) -> Body[None]:
    rows = [run_row(run) for run in runs]

    async def body(db: asyncpg.Connection) -> None:
        if len(rows) == 1:
            await db.execute(_PUT_RUN, *rows[0])
        else:
            await db.executemany(_PUT_RUN, rows)

    return body
