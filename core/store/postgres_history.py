"""Branch history written verbatim into PostgreSQL: the transaction behind
`PostgresStore.put_branch_history`, which `copy_store` uses to keep another store's reflog.

It mirrors `sqlite_history.py` statement for statement, so a copy lands the same on either.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import NodeNotFound, RefConflict
from ..tree import ReflogEntry
from .base import check_history
from .postgres_records import ONLY_ON_PATH

if TYPE_CHECKING:
    import asyncpg

__all__ = ["history_writer"]


def history_writer(
    session_id: str,
    heads: Mapping[str, str | None],
    expected: Mapping[str, str | None],
    reflog: Sequence[ReflogEntry],
    digests: Sequence[str],
) -> Callable[[asyncpg.Connection], Awaitable[None]]:
    """The body of the transaction that `Store.put_branch_history` describes."""
    check_history(session_id, reflog)

    async def body(db: asyncpg.Connection) -> None:
        now = time.time()
        removed: list[str] = []
        for name, head in heads.items():
            # FOR UPDATE: a concurrent move of the same ref waits for this transaction, so the
            # compare below cannot pass for two writers at once.
            current = await db.fetchval(
                "SELECT head FROM refs WHERE session_id = $1 AND name = $2 FOR UPDATE",
                session_id,
                name,
            )
            if current != expected.get(name):
                raise RefConflict(
                    f"branch {name!r} is at {current}, not {expected.get(name)}: it moved; "
                    "reload and retry"
                )
            if head is None:
                await db.execute(
                    "DELETE FROM refs WHERE session_id = $1 AND name = $2", session_id, name
                )
                if current is not None:
                    removed.append(str(current))
                continue
            if await db.fetchval("SELECT 1 FROM nodes WHERE hash = $1", head) is None:
                raise NodeNotFound(f"cannot point branch {name!r} at unknown node {head}")
            await db.execute(
                "INSERT INTO refs(session_id, name, head) VALUES ($1, $2, $3) "
                "ON CONFLICT(session_id, name) DO UPDATE SET head = excluded.head",
                session_id,
                name,
                head,
            )
        for head in removed:
            await db.execute(
                f"DELETE FROM session_nodes WHERE session_id = $1 AND node_id IN ({ONLY_ON_PATH})",
                session_id,
                head,
            )
        if reflog:
            # One statement per entry keeps their order in the BIGSERIAL ids the reflog reads by.
            await db.executemany(
                "INSERT INTO reflog(session_id, name, old, new, reason, at) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                [
                    (entry.session_id, entry.name, entry.old, entry.new, entry.reason, entry.at)
                    for entry in reflog
                ],
            )
        if digests:
            # A digest that already opens another session that still exists keeps opening it.
            await db.executemany(
                "INSERT INTO imports(digest, session_id, at) VALUES ($1, $2, $3) "
                "ON CONFLICT(digest) DO UPDATE SET session_id = excluded.session_id, "
                "at = excluded.at "
                "WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE id = imports.session_id)",
                [(digest, session_id, now) for digest in digests],
            )

    return body
