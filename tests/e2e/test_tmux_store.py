"""`ramify --store` in real terminals: two IDE processes on one SQLite file, or one PostgreSQL
database, named by the flag each show what the other writes, live, and nothing goes to the
default database. The PostgreSQL password comes from PGPASSWORD, as the README says, and the
screen never shows it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ramify.core import Session
from ramify.core.store import open_store
from ramify.core.store.location import DATABASE_NAME
from tests.e2e.terminal import TMUX, Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

RAMIFY = Path(sys.executable).with_name("ramify")


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    try:
        yield opened
    finally:
        for terminal in opened:
            terminal.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_two_ides_on_one_store_show_each_others_messages(
    tmp_path: Path, terminals: list[Terminal], kind: str, request: pytest.FixtureRequest
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    environment = {
        "RAMIFY_HOME": str(home),
        "RAMIFY_CONFIG": str(tmp_path / "config.toml"),
        "RAMIFY_STORE": "",
    }
    password = None
    if kind == "sqlite":
        store = read_from = str(tmp_path / "team.sqlite3")
    else:
        read_from = request.getfixturevalue("postgres_dsn")
        dsn = urlsplit(read_from)
        password = dsn.password
        assert password
        netloc = f"{dsn.username}@{dsn.hostname}:{dsn.port}"
        store = urlunsplit(dsn._replace(netloc=netloc))
        environment["PGPASSWORD"] = password

    def start() -> Terminal:
        terminal = Terminal(tmp_path, [str(RAMIFY), "--demo", "--store", str(store)], environment)
        terminals.append(terminal)
        return terminal

    first = start()
    first.wait_for("⑂ main", "the first IDE")
    first.type("written in the first")
    first.wait_for("▊ written in the first", "the message in the first composer")
    first.press("Enter")
    first.wait_for("⑂ main  2/2", "the first reply settled")

    second = start()
    second.wait_for("written in the first", "the first IDE's message in the second")
    second.type("written in the second")
    second.wait_for("▊ written in the second", "the message in the second composer")
    second.press("Enter")
    second.wait_for("⑂ main  4/4", "the second reply settled")
    first.wait_for("written in the second", "the second IDE's message in the first, live")

    for terminal in (first, second):
        assert password is None or password not in terminal.screen()
        terminal.press("C-q")
        assert terminal.wait_for_exit() == 0, terminal.screen()

    async def texts() -> list[str]:
        async with open_store(read_from) as opened:
            (record,) = await opened.list_sessions()
            session = await Session.open(opened, record.id)
            return [message.text for _, message in await session.path_messages("main")]

    written = asyncio.run(texts())
    assert written[0] == "written in the first"
    assert written[2] == "written in the second"
    assert len(written) == 4
    assert not (home / DATABASE_NAME).exists()
