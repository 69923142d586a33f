"""Branch heads, sessions and runs in SQLite: the record half of `SQLiteStore`."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    BranchNotFound,
    NodeNotFound,
    RefConflict,
    RunNotFound,
    SessionNotFound,
)
from ..runs import Run, RunStatus
from ..tree import Ref, ReflogEntry
from .base import FIRST_TEXT_CHARS, REASON_DELETE, REASON_RENAME, SessionRecord, SessionSummary
from .record_rows import readable_rows, run_from_row, run_row, session_from_row
from .sqlite_connection import SQLiteConnection
from .sqlite_history import history_writer
from .sqlite_paths import ONLY_ON_PATH

if TYPE_CHECKING:
    import aiosqlite

__all__ = ["SQLiteRecords", "ref_mover", "run_writer", "runs_writer", "session_writer"]

_T = TypeVar("_T")


async def _log(
    db: aiosqlite.Connection, session_id: str, name: str, old: str | None, new: str, reason: str
) -> None:
    """Log a ref change and mark the session updated: a branch move is a use of the session."""
    now = time.time()
    await db.execute(
        "INSERT INTO reflog(session_id, name, old, new, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
        (session_id, name, old, new, reason, now),
    )
    await db.execute(
        "UPDATE sessions SET updated_at = max(updated_at, ?) WHERE id = ?", (now, session_id)
    )


async def _head(db: aiosqlite.Connection, session_id: str, name: str) -> str | None:
    rows = await db.execute_fetchall(
        "SELECT head FROM refs WHERE session_id = ? AND name = ?", (session_id, name)
    )
    return str(next(iter(rows))[0]) if rows else None


class SQLiteRecords(SQLiteConnection):
    """Refs (compare-and-swap with a reflog), sessions and runs over the shared connection."""

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
        return await self._write(ref_mover(session_id, name, new, expected, reason))

    async def delete_ref(self, session_id: str, name: str, *, expected: str) -> None:
        async def body(db: aiosqlite.Connection) -> None:
            current = await _head(db, session_id, name)
            if current is None:
                raise BranchNotFound(f"session has no branch {name!r}")
            if current != expected:
                raise RefConflict(
                    f"branch {name!r} is at {current}, not {expected}: it moved; reload and retry"
                )
            await db.execute(
                "DELETE FROM refs WHERE session_id = ? AND name = ?", (session_id, name)
            )
            await _log(db, session_id, name, current, current, REASON_DELETE)
            await db.execute(
                f"DELETE FROM session_nodes WHERE session_id = ? AND node_row IN ({ONLY_ON_PATH})",
                (session_id, current, session_id),
            )

        await self._write(body)

    async def rename_ref(self, session_id: str, name: str, new_name: str) -> Ref:
        async def body(db: aiosqlite.Connection) -> Ref:
            head = await _head(db, session_id, name)
            if head is None:
                raise BranchNotFound(f"session has no branch {name!r}")
            if await _head(db, session_id, new_name) is not None:
                raise RefConflict(f"branch {new_name!r} already exists: choose another name")
            args = (new_name, session_id, name)
            await db.execute("UPDATE refs SET name = ? WHERE session_id = ? AND name = ?", args)
            await db.execute("UPDATE reflog SET name = ? WHERE session_id = ? AND name = ?", args)
            await db.execute(
                "UPDATE sessions SET active_branch = ? WHERE id = ? AND active_branch = ?", args
            )
            await _log(db, session_id, new_name, head, head, f"{REASON_RENAME} from {name}")
            return Ref(session_id=session_id, name=new_name, head=head)

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

    async def import_digests(self, session_id: str) -> list[str]:
        rows = await self._read(
            "SELECT digest FROM imports WHERE session_id = ? ORDER BY digest", (session_id,)
        )
        return [str(row[0]) for row in rows]

    # --- sessions ---

    async def put_session(self, record: SessionRecord) -> None:
        await self._write(session_writer(record))

    _SESSION_COLUMNS = "id, title, created_at, updated_at, active_branch, remembered_children"
    _session_from_row = staticmethod(session_from_row)

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
        return readable_rows(self._session_from_row, rows)

    async def rename_session(self, session_id: str, title: str) -> None:
        async def body(db: aiosqlite.Connection) -> None:
            cursor = await db.execute(
                "UPDATE sessions SET title = ?, updated_at = max(updated_at, ?) WHERE id = ?",
                (title, time.time(), session_id),
            )
            if cursor.rowcount != 1:
                raise SessionNotFound(f"no session has id {session_id!r}")

        await self._write(body)

    async def delete_session(self, session_id: str) -> None:
        async def body(db: aiosqlite.Connection) -> None:
            cursor = await db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            if cursor.rowcount != 1:
                raise SessionNotFound(f"no session has id {session_id!r}")
            for table in ("session_nodes", "refs", "reflog", "runs"):
                await db.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))

        await self._write(body)

    async def session_summaries(self) -> list[SessionSummary]:
        # `session_nodes` is keyed (session_id, node_row): the count and the oldest row come
        # from its index, one session at a time.
        rows = await self._read(
            f"SELECT {self._SESSION_COLUMNS}, "
            "(SELECT count(*) FROM session_nodes m WHERE m.session_id = sessions.id), "
            f"(SELECT substr(t.text, 1, {FIRST_TEXT_CHARS}) FROM session_nodes m "
            "JOIN nodes n ON n.rowid = m.node_row JOIN messages t ON t.rowid = n.message_row "
            "WHERE m.session_id = sessions.id ORDER BY m.node_row LIMIT 1) "
            "FROM sessions ORDER BY updated_at DESC"
        )
        return readable_rows(
            lambda row: SessionSummary(
                record=self._session_from_row(row[:6]),
                message_count=row[6],
                first_text=row[7] or "",
            ),
            rows,
        )

    async def data_version(self) -> int | None:
        # SQLite bumps it for this connection whenever another connection commits.
        return int((await self._read("PRAGMA data_version"))[0][0])

    # --- runs ---

    async def put_run(self, run: Run) -> None:
        await self._write(run_writer(run))

    async def put_runs(self, runs: Sequence[Run]) -> None:
        if runs:
            await self._write(runs_writer(runs))

    async def get_run(self, run_id: str) -> Run:
        rows = await self._read("SELECT id, data FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise RunNotFound(f"no run has id {run_id!r}")
        return run_from_row(rows[0])

    async def list_runs(
        self, *, session_id: str | None = None, parent_run_id: str | None = None
    ) -> list[Run]:
        sql = "SELECT id, data FROM runs WHERE 1 = 1"
        args: list[Any] = []
        if session_id is not None:
            sql += " AND session_id = ?"
            args.append(session_id)
        if parent_run_id is not None:
            sql += " AND parent_run_id = ?"
            args.append(parent_run_id)
        rows = await self._read(sql + " ORDER BY started_at, rowid", args)
        return readable_rows(run_from_row, rows)

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
            "SELECT id, data FROM runs WHERE session_id = ? AND fingerprint = ? "
            "AND input_node IS ? AND status = ?"
        )
        if require_output:
            sql += " AND json_array_length(data, '$.output_nodes') > 0"
        rows = await self._read(
            sql + " ORDER BY started_at DESC, rowid DESC LIMIT 1",
            (session_id, fingerprint, input_node, status.value),
        )
        # A damaged cached run is no cache hit: the agent runs again.
        found = readable_rows(run_from_row, rows)
        return found[0] if found else None


# Transaction bodies (for `SQLiteConnection._write`), so one import can run several of them
# in a single transaction.
Body = Callable[["aiosqlite.Connection"], Awaitable[_T]]


def ref_mover(session_id: str, name: str, new: str, expected: str | None, reason: str) -> Body[Ref]:
    async def body(db: aiosqlite.Connection) -> Ref:
        if not await db.execute_fetchall("SELECT 1 FROM nodes WHERE hash = ?", (new,)):
            raise NodeNotFound(f"cannot point branch {name!r} at unknown node {new}")
        if expected is None:
            cursor = await db.execute(
                "INSERT INTO refs(session_id, name, head) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (session_id, name, new),
            )
        else:
            cursor = await db.execute(
                "UPDATE refs SET head = ? WHERE session_id = ? AND name = ? AND head = ?",
                (new, session_id, name, expected),
            )
        if cursor.rowcount != 1:
            current = await _head(db, session_id, name)
            raise RefConflict(
                f"branch {name!r} is at {current}, not {expected}: it moved; reload and retry"
            )
        await _log(db, session_id, name, expected, new, reason)
        return Ref(session_id=session_id, name=name, head=new)

    return body


def session_writer(record: SessionRecord) -> Body[None]:
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

    return body


_PUT_RUN = (
    "INSERT INTO runs(id, session_id, parent_run_id, status, started_at, "
    "fingerprint, input_node, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
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

    async def body(db: aiosqlite.Connection) -> None:
        await db.executemany(_PUT_RUN, rows)

    return body
