"""A run on a PostgreSQL store whose connection is lost mid-run: marked, nothing lost, rerun.

The server is a private one (tests/servers/postgres.py). The store's connection is killed with
``pg_terminate_backend`` while it is in the middle of writing the run's reply, as a server
restart or failover would.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg

from ramify.core import InteractionContext, Ramify, RunStatus, Session, UserMessage, agent
from ramify.core.store.postgres import PostgresStore
from tests.servers.postgres import PostgresTarget


async def _kill_the_blocked_backend(admin: asyncpg.Connection, database: str) -> None:
    """Terminate the backend on `database` that waits for a lock (polled: the server has no
    event for "a query started waiting")."""
    async with asyncio.timeout(30):
        while True:
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                database,
            )
            if pid is not None:
                await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
                return
            await asyncio.sleep(0.01)


async def test_a_run_whose_connection_is_lost_is_marked_keeps_its_reply_and_reruns(
    postgres_server: PostgresTarget, postgres_dsn: str
) -> None:
    database = urlsplit(postgres_dsn).path.lstrip("/")
    release = asyncio.Event()
    started = asyncio.Event()
    answers = iter(["first answer", "second answer"])

    @agent
    async def answer(ctx: InteractionContext) -> None:
        started.set()
        await release.wait()
        ctx.reply(next(answers))

    async with PostgresStore(postgres_dsn) as store, Ramify():
        session = await Session.create(store)
        await session.append(UserMessage(text="q"), branch="main")
        admin = await asyncpg.connect(postgres_dsn)
        try:
            # Another session holds the branch rows, so the reply's branch move waits on the
            # server; the store's backend is killed while it waits.
            holding = admin.transaction()
            await holding.start()
            await admin.execute("SELECT * FROM refs FOR UPDATE")
            replies = session.inquire(answer, "main")
            consumed = asyncio.ensure_future(replies)
            await started.wait()
            release.set()
            await _kill_the_blocked_backend(admin, database)
            assert [str(m) for m in await consumed] == ["first answer"]
            run = await replies.recorded()
            await holding.rollback()
        finally:
            await admin.close()

        stored = await session.get_run(run.id)
        for record in (run, stored):
            assert record.status is RunStatus.ERROR
            assert record.error is not None
            assert "could not be recorded" in record.error
            assert "connection to the PostgreSQL server" in record.error
            assert urlsplit(postgres_dsn).password not in record.error
        # Nothing recorded is lost: the reply stands on a recovery branch under its input.
        assert replies.moved_to
        kept = await session.head(replies.moved_to)
        assert kept is not None
        assert stored.output_nodes == [kept.hash_key]
        assert (await session.store.get_message(kept.message)).text == "first answer"

        rerun = session.rerun(kept)
        assert [str(m) for m in await rerun] == ["second answer"]
        again = await rerun.recorded()
        assert again.status is RunStatus.DONE
        sibling = await session.resolve(again.output_nodes[0])
        assert sibling.parent == kept.parent
