"""What only the PostgreSQL store has: several connections, a server, a schema table.

Each test runs against a private server (tests/servers/postgres.py) on a database of its own.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from ramify.core import RefConflict, Store, StoreError
from ramify.core.errors import SchemaTooNew
from ramify.core.store.postgres import PostgresStore
from ramify.core.store.postgres_errors import (
    ConnectionLost,
    DatabaseAccessDenied,
    DatabaseMissing,
    ServerUnreachable,
)
from ramify.core.store.postgres_schema import SCHEMA_VERSION, prepare
from ramify.core.testing.postgres_server import _free_port
from tests.servers.postgres import PostgresTarget

from .helpers import add, chain


def _with(dsn: str, *, password: str | None = None, user: str | None = None, db: str = "") -> str:
    """`dsn` with another password, user or database."""
    parts = urlsplit(dsn)
    name = user or parts.username or ""
    secret = parts.password if password is None else password
    netloc = f"{name}:{secret}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, path="/" + db if db else parts.path))


def _password(dsn: str) -> str:
    secret = urlsplit(dsn).password
    assert secret
    return secret


def _assert_one_clean_line(error: BaseException, dsn: str) -> None:
    text = str(error)
    assert "\n" not in text
    assert _password(dsn) not in text


@pytest.fixture
async def two(postgres_dsn: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores (two connections each) on one database, as two processes would have."""
    async with PostgresStore(postgres_dsn) as one, PostgresStore(postgres_dsn) as other:
        yield one, other


async def _terminate_others(admin_dsn: str, database: str) -> int:
    """Kill every backend on `database` (as an operator or a failover would)."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        return len(
            await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        )
    finally:
        await admin.close()


# --- many writers ---


@pytest.mark.parametrize("rounds", [6])
async def test_two_connections_compare_and_swap_one_ref_exactly_one_wins(
    two: tuple[PostgresStore, PostgresStore], rounds: int
) -> None:
    one, other = two
    head = await add(one, "root")
    await one.move_ref("s", "main", head.hash_key, expected=None, reason="create")
    for index in range(rounds):
        left = await add(one, f"left {index}", head)
        right = await add(other, f"right {index}", head)
        gate = asyncio.Event()

        async def swap(store: Store, target: str, expected: str, gate: asyncio.Event) -> bool:
            await gate.wait()
            try:
                await store.move_ref("s", "main", target, expected=expected, reason="race")
            except RefConflict:
                return False
            return True

        # Alternate who is scheduled first, so either connection may be the one to win.
        order = [(one, left), (other, right)][:: 1 if index % 2 else -1]
        tasks = [asyncio.create_task(swap(s, n.hash_key, head.hash_key, gate)) for s, n in order]
        gate.set()
        results = await asyncio.gather(*tasks)
        assert results.count(True) == 1
        winner = order[results.index(True)][1]
        for store in two:
            ref = await store.get_ref("s", "main")
            assert ref is not None
            assert ref.head == winner.hash_key
        head = winner
    assert len(await other.reflog("s", "main")) == rounds + 1


async def test_data_version_moves_when_another_connection_commits(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    watcher, writer = two
    before = await watcher.data_version()
    await add(writer, "from elsewhere", session_id="s")
    after = await watcher.data_version()
    assert after != before
    # Its own commits are not another writer's.
    await add(watcher, "mine", session_id="s")
    assert await watcher.data_version() == after


async def test_data_version_notices_changes_after_its_listener_was_cut(
    postgres_server: PostgresTarget, postgres_dsn: str
) -> None:
    async with PostgresStore(postgres_dsn) as watcher:
        before = await watcher.data_version()
        database = urlsplit(postgres_dsn).path.lstrip("/")
        assert await _terminate_others(postgres_server.admin_dsn, database) == 2
        async with PostgresStore(postgres_dsn) as writer:
            await add(writer, "written while the watcher was cut off")
        # The first look may fail (the connection broke) and never hides a change.
        versions = []
        for _ in range(2):
            try:
                versions.append(await watcher.data_version())
            except ConnectionLost:
                continue
        assert versions
        assert versions[-1] != before
        assert await watcher.count_nodes() == 1


# --- bad input and a broken connection ---


async def _blocked_backend(admin: asyncpg.Connection, database: str) -> int:
    """The pid of the backend on `database` waiting for a lock (polled: the server has no
    event for "a query started waiting")."""
    async with asyncio.timeout(30):
        while True:
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                database,
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.01)


async def test_a_connection_lost_mid_step_fails_that_step_in_one_line_then_reconnects(
    postgres_server: PostgresTarget, postgres_dsn: str
) -> None:
    database = urlsplit(postgres_dsn).path.lstrip("/")
    async with PostgresStore(postgres_dsn) as store:
        root, child = await chain(store, ["root", "child"], session_id="s")
        await store.move_ref("s", "main", root.hash_key, expected=None, reason="create")
        admin = await asyncpg.connect(postgres_server.dsn(database))
        try:
            # Another session holds the branch's row, so the store's move waits on the server;
            # its backend is killed while it waits.
            holding = admin.transaction()
            await holding.start()
            await admin.execute("SELECT * FROM refs FOR UPDATE")
            moving = asyncio.create_task(
                store.move_ref("s", "main", child.hash_key, expected=root.hash_key, reason="m")
            )
            pid = await _blocked_backend(admin, database)
            await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises(ConnectionLost, match=r"was lost.*not saved") as caught:
                await moving
            await holding.rollback()
        finally:
            await admin.close()
        _assert_one_clean_line(caught.value, postgres_dsn)
        # Nothing of the failed step was committed, and the next step connects again.
        ref = await store.get_ref("s", "main")
        assert ref is not None
        assert ref.head == root.hash_key
        await store.move_ref("s", "main", child.hash_key, expected=root.hash_key, reason="again")
        assert [e.reason for e in await store.reflog("s", "main")] == ["create", "again"]


async def test_a_step_cancelled_while_the_server_works_writes_nothing_and_the_store_goes_on(
    postgres_server: PostgresTarget, postgres_dsn: str
) -> None:
    database = urlsplit(postgres_dsn).path.lstrip("/")
    async with PostgresStore(postgres_dsn) as store:
        root, child = await chain(store, ["root", "child"], session_id="s")
        await store.move_ref("s", "main", root.hash_key, expected=None, reason="create")
        admin = await asyncpg.connect(postgres_server.dsn(database))
        try:
            holding = admin.transaction()
            await holding.start()
            await admin.execute("SELECT * FROM refs FOR UPDATE")
            moving = asyncio.create_task(
                store.move_ref("s", "main", child.hash_key, expected=root.hash_key, reason="m")
            )
            await _blocked_backend(admin, database)
            moving.cancel()
            with pytest.raises(asyncio.CancelledError):
                await moving
            await holding.rollback()
        finally:
            await admin.close()
        assert [e.reason for e in await store.reflog("s", "main")] == ["create"]
        await store.move_ref("s", "main", child.hash_key, expected=root.hash_key, reason="again")
        assert [e.reason for e in await store.reflog("s", "main")] == ["create", "again"]


async def test_a_connection_cut_between_steps_is_replaced_quietly(
    postgres_server: PostgresTarget, postgres_dsn: str
) -> None:
    async with PostgresStore(postgres_dsn) as store:
        root = await add(store, "root", session_id="s")
        database = urlsplit(postgres_dsn).path.lstrip("/")
        assert await _terminate_others(postgres_server.admin_dsn, database) == 2
        # The cut may still be on its way to the client: then one step fails, saying so.
        try:
            again = await add(store, "after the cut", root, session_id="s")
        except ConnectionLost:
            again = await add(store, "after the cut", root, session_id="s")
        assert [n.hash_key for n in await store.children(root.hash_key)] == [again.hash_key]


async def test_unreachable_server_is_one_line_naming_the_address(postgres_dsn: str) -> None:
    port = _free_port()
    dsn = urlunsplit(urlsplit(postgres_dsn)._replace(netloc=f"ramify:pw-secret@127.0.0.1:{port}"))
    with pytest.raises(ServerUnreachable, match=f"cannot reach.*127.0.0.1:{port}") as caught:
        async with PostgresStore(dsn):
            pass
    assert "pw-secret" not in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_wrong_password_is_refused_in_one_line_without_the_password(
    postgres_dsn: str,
) -> None:
    dsn = _with(postgres_dsn, password="not-the-password-123")
    with pytest.raises(DatabaseAccessDenied, match=r"refused the login.*PGPASSWORD") as caught:
        async with PostgresStore(dsn):
            pass
    _assert_one_clean_line(caught.value, dsn)


async def test_missing_database_says_how_to_create_it(postgres_dsn: str) -> None:
    dsn = _with(postgres_dsn, db="no_such_db")
    with pytest.raises(DatabaseMissing, match="createdb no_such_db") as caught:
        async with PostgresStore(dsn):
            pass
    _assert_one_clean_line(caught.value, dsn)


async def test_permission_denied_names_the_user_and_what_to_grant(
    postgres_server: PostgresTarget, empty_postgres_dsn: str
) -> None:
    admin = await asyncpg.connect(postgres_server.admin_dsn)
    try:
        await admin.execute("DROP ROLE IF EXISTS visitor")
        await admin.execute("CREATE ROLE visitor LOGIN PASSWORD 'visitor-secret-9'")
    finally:
        await admin.close()
    dsn = _with(empty_postgres_dsn, user="visitor", password="visitor-secret-9")
    with pytest.raises(DatabaseAccessDenied, match=r"permission denied.*grant visitor") as caught:
        async with PostgresStore(dsn):
            pass
    _assert_one_clean_line(caught.value, dsn)


def test_without_asyncpg_opening_says_how_to_install_it(postgres_dsn: str) -> None:
    script = (
        "import asyncio, sys\n"
        "sys.modules['asyncpg'] = None\n"
        "from ramify.core.store.postgres import PostgresStore\n"
        "async def main():\n"
        "    async with PostgresStore(sys.argv[1]):\n"
        "        pass\n"
        "try:\n"
        "    asyncio.run(main())\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, postgres_dsn],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == (
        "StoreError PostgreSQL support is not installed: install it with "
        'pip install "ramify[postgres]"'
    )


def test_importing_the_store_does_not_import_asyncpg() -> None:
    script = (
        "import sys, ramify.core, ramify.core.store.postgres\nprint('asyncpg' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


# --- the schema ---


async def test_an_older_schema_is_migrated_in_place_keeping_its_data(
    empty_postgres_dsn: str,
) -> None:
    db = await asyncpg.connect(empty_postgres_dsn)
    try:
        await prepare(db, "test", target=1)
        assert await db.fetchval("SELECT version FROM ramify_schema") == 1
        assert await db.fetchval("SELECT to_regclass('imports')") is None
    finally:
        await db.close()
    async with PostgresStore(empty_postgres_dsn) as store:
        a, b = await chain(store, ["kept across", "the migration"], session_id="s")
        await store.move_ref("s", "main", b.hash_key, expected=None, reason="create")
    # Version 1 written; now open with the code's version: migrated, and every row still there.
    db = await asyncpg.connect(empty_postgres_dsn)
    try:
        await db.execute("DROP TABLE imports")
        await db.execute("UPDATE ramify_schema SET version = 1")
    finally:
        await db.close()
    async with PostgresStore(empty_postgres_dsn) as store:
        assert [n.hash_key for n in await store.path(b.hash_key)] == [a.hash_key, b.hash_key]
        assert [n.hash_key for n in await store.search("migration", session_id="s")] == [b.hash_key]
        assert await store.imported_session("digest") is None
    db = await asyncpg.connect(empty_postgres_dsn)
    try:
        assert await db.fetchval("SELECT version FROM ramify_schema") == SCHEMA_VERSION
    finally:
        await db.close()


async def test_a_schema_newer_than_the_code_is_refused_and_left_untouched(
    postgres_dsn: str,
) -> None:
    async with PostgresStore(postgres_dsn) as store:
        await add(store, "from the future")
    db = await asyncpg.connect(postgres_dsn)
    try:
        await db.execute("UPDATE ramify_schema SET version = $1", SCHEMA_VERSION + 5)
    finally:
        await db.close()
    with pytest.raises(SchemaTooNew, match="Upgrade Ramify") as caught:
        async with PostgresStore(postgres_dsn):
            pass
    _assert_one_clean_line(caught.value, postgres_dsn)
    db = await asyncpg.connect(postgres_dsn)
    try:
        assert await db.fetchval("SELECT version FROM ramify_schema") == SCHEMA_VERSION + 5
        assert await db.fetchval("SELECT count(*) FROM nodes") == 1
    finally:
        await db.close()


async def test_two_first_opens_at_once_create_the_schema_once(empty_postgres_dsn: str) -> None:
    first, second = PostgresStore(empty_postgres_dsn), PostgresStore(empty_postgres_dsn)
    await asyncio.gather(first.open(), second.open())
    try:
        await add(first, "one schema")
        assert await second.count_nodes() == 1
    finally:
        await first.close()
        await second.close()


async def test_a_closed_store_says_so(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)
    with pytest.raises(StoreError, match="not open"):
        await store.count_nodes()


async def test_huge_and_nul_holding_messages_are_kept_whole(store_pg: PostgresStore) -> None:
    from ramify.core import UserMessage

    huge = "word " * 300_000 + "needle"
    for text in (huge, "before\x00after"):
        message = UserMessage(text=text)
        assert await store_pg.get_message(await store_pg.put_message(message)) == message
    await add(store_pg, "needle in a small one")
    assert len(await store_pg.search("needle")) == 1


@pytest.fixture
async def store_pg(postgres_dsn: str) -> AsyncIterator[PostgresStore]:
    async with PostgresStore(postgres_dsn) as store:
        yield store
