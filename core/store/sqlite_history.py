"""Branch history written verbatim into SQLite: the transaction behind
`SQLiteStore.put_branch_history`, which `copy_store` uses to keep another store's reflog."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import NodeNotFound, RefConflict
from ..tree import ReflogEntry
from .base import check_history
from .sqlite_paths import ONLY_ON_PATH

if TYPE_CHECKING:
    import aiosqlite

    from .sqlite_records import Body

__all__ = ["history_writer"]


def history_writer(
    session_id: str,
    heads: Mapping[str, str | None],
    expected: Mapping[str, str | None],
    reflog: Sequence[ReflogEntry],
    digests: Sequence[str],
) -> Body[None]:
    """The body of the transaction that `Store.put_branch_history` describes."""
    check_history(session_id, reflog)

    async def body(db: aiosqlite.Connection) -> None:
        now = time.time()
        removed: list[str] = []
        for name, head in heads.items():
            rows = await db.execute_fetchall(
                "SELECT head FROM refs WHERE session_id = ? AND name = ?", (session_id, name)
            )
            current = next(iter(rows))[0] if rows else None
            if current != expected.get(name):
                raise RefConflict(
                    f"branch {name!r} is at {current}, not {expected.get(name)}: it moved; "
                    "reload and retry"
                )
            if head is None:
                await db.execute(
                    "DELETE FROM refs WHERE session_id = ? AND name = ?", (session_id, name)
                )
                if current is not None:
                    removed.append(current)
                continue
            if not await db.execute_fetchall("SELECT 1 FROM nodes WHERE hash = ?", (head,)):
                raise NodeNotFound(f"cannot point branch {name!r} at unknown node {head}")
            await db.execute(
                "INSERT INTO refs(session_id, name, head) VALUES (?, ?, ?) "
                "ON CONFLICT(session_id, name) DO UPDATE SET head = excluded.head",
                (session_id, name, head),
            )
        for head in removed:
            await db.execute(
                f"DELETE FROM session_nodes WHERE session_id = ? AND node_row IN ({ONLY_ON_PATH})",
                (session_id, head, session_id),
            )
        await db.executemany(
            "INSERT INTO reflog(session_id, name, old, new, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (entry.session_id, entry.name, entry.old, entry.new, entry.reason, entry.at)
                for entry in reflog
            ],
        )
        # A digest that already opens another session that still exists keeps opening it.
        await db.executemany(
            "INSERT INTO imports(digest, session_id, at) VALUES (?, ?, ?) "
            "ON CONFLICT(digest) DO UPDATE SET session_id = excluded.session_id, at = excluded.at "
            "WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE id = imports.session_id)",
            [(digest, session_id, now) for digest in digests],
        )

    return body
