"""Choosing the store from the command line (`--store`, RAMIFY_STORE, the config) and
`ramify store copy`, run as the real command on real SQLite files. Bad locations end in one
line and exit 1, and a URL's password is never printed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ramify.core import Ramify, Session, SQLiteStore, UserMessage
from tests.core.session_stores.helpers import populate, whole_picture

pytestmark = pytest.mark.slow

SECRET = "hunter2-secret"


def _ramify(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("RAMIFY_STORE", "PGPASSWORD", "PGHOST", "PGPORT")
    }
    return subprocess.run(
        [sys.executable, "-m", "ramify.tui.cli", *args],
        capture_output=True,
        text=True,
        env={
            **base,
            "RAMIFY_HOME": str(home),
            "RAMIFY_CONFIG": str(home / "config.toml"),
            **(env or {}),
        },
        timeout=120,
        check=False,
    )


def _failed_in_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if "PGPASSWORD" not in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ramify: ")
    return lines[0]


def _session_in(path: Path, title: str) -> str:
    async def make() -> str:
        async with SQLiteStore(path) as store:
            session = await Session.create(store, title=title)
            await session.append(UserMessage(text=f"in {title}"))
            return session.id

    return asyncio.run(make())


def _populated(path: Path) -> list[str]:
    async def make() -> list[str]:
        async with SQLiteStore(path) as store, Ramify():
            return await populate(store)

    return asyncio.run(make())


def _picture(path: Path) -> object:
    async def read() -> object:
        async with SQLiteStore(path) as store:
            return await whole_picture(store)

    return asyncio.run(read())


def test_store_copy_copies_every_session_and_a_second_copy_changes_nothing(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "source.sqlite3", tmp_path / "target.sqlite3"
    ids = _populated(source)
    first = _ramify(tmp_path, "store", "copy", str(source), f"sqlite://{target}")
    assert first.returncode == 0, first.stderr
    assert f"3 sessions from {source} to sqlite://{target}" in first.stdout
    assert _picture(target) == _picture(source)
    settled = _picture(target)
    again = _ramify(tmp_path, "store", "copy", str(source), str(target))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count(": 0 new nodes") == len(ids)
    assert _picture(target) == settled


def test_store_copy_of_one_session(tmp_path: Path) -> None:
    source, target = tmp_path / "source.sqlite3", tmp_path / "target.sqlite3"
    rich_id, *_ = _populated(source)
    result = _ramify(tmp_path, "store", "copy", str(source), str(target), "--session", rich_id[:8])
    assert result.returncode == 0, result.stderr
    assert f"copied session {rich_id[:12]} (rich)" in result.stdout
    listing = _ramify(tmp_path, "sessions", "--store", str(target))
    assert listing.returncode == 0, listing.stderr
    assert [line.split()[0] for line in listing.stdout.splitlines()[1:]] == [rich_id[:12]]


def test_store_copy_into_postgresql_and_back_keeps_everything(
    tmp_path: Path, postgres_dsn: str
) -> None:
    """SQLite -> a real PostgreSQL -> SQLite, through the command line: the same picture
    (hashes, branches, reflog, runs, records, digests) at every step, and the server's
    password (in the URL here) never printed."""
    from urllib.parse import urlsplit

    password = urlsplit(postgres_dsn).password
    assert password, "the private server's DSN carries a password"
    source, back = tmp_path / "source.sqlite3", tmp_path / "back.sqlite3"
    ids = _populated(source)
    there = _ramify(tmp_path, "store", "copy", str(source), postgres_dsn)
    assert there.returncode == 0, there.stderr
    listing = _ramify(tmp_path, "sessions", "--store", postgres_dsn)
    assert listing.returncode == 0, listing.stderr
    assert sorted(line.split()[0] for line in listing.stdout.splitlines()[1:]) == sorted(
        i[:12] for i in ids
    )
    home = _ramify(tmp_path, "store", "copy", postgres_dsn, str(back))
    assert home.returncode == 0, home.stderr
    assert _picture(back) == _picture(source)
    for result in (there, listing, home):
        assert password not in result.stdout + result.stderr


def test_the_flag_beats_the_variable_which_beats_the_config(tmp_path: Path) -> None:
    stores = {name: tmp_path / f"{name}.sqlite3" for name in ("flag", "env", "config")}
    for name, path in stores.items():
        _session_in(path, f"{name} session")
    (tmp_path / "config.toml").write_text(f'store = "{stores["config"]}"\n', encoding="utf-8")
    env = {"RAMIFY_STORE": str(stores["env"])}

    def titles(*args: str, **kwargs: dict[str, str]) -> str:
        result = _ramify(tmp_path, "sessions", *args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "config session" in titles()
    assert "env session" in titles(env=env)
    assert "flag session" in titles("--store", str(stores["flag"]), env=env)
    assert not (tmp_path / "ramify.sqlite3").exists()


@pytest.mark.parametrize("given_in", ["config", "flag", "variable"])
def test_a_password_in_the_url_is_warned_about_and_never_shown(
    tmp_path: Path, given_in: str
) -> None:
    url = f"postgresql://me:{SECRET}@127.0.0.1:1/ramify"
    if given_in == "config":
        (tmp_path / "config.toml").write_text(f'store = "{url}"\n', encoding="utf-8")
    flag = ("--store", url) if given_in == "flag" else ()
    env = {"RAMIFY_STORE": url} if given_in == "variable" else {}
    result = _ramify(tmp_path, "sessions", *flag, env=env)
    assert SECRET not in result.stdout + result.stderr
    assert "PGPASSWORD or ~/.pgpass" in result.stderr
    assert "postgresql://***@127.0.0.1:1/ramify" in result.stderr
    _failed_in_one_line(result)


@pytest.mark.parametrize(
    ("location", "says"),
    [
        (f"mysql://me:{SECRET}@host/db", "unknown store scheme 'mysql'"),
        (f"postgresql://me:{SECRET}@host:port/db", "malformed"),
        ("sqlite://", "names no file"),
        ("{tmp}/no/such/folder/s.sqlite3", "does not exist: create"),
        ("{tmp}", "is a folder"),
        ("{tmp}/notes.txt", "not an sqlite database"),
        # No PostgreSQL listens on port 1: either the extra is missing or the server is.
        (f"postgresql://me:{SECRET}@127.0.0.1:1/ramify", "cannot reach the PostgreSQL server"),
    ],
)
def test_a_bad_store_is_one_line_and_exit_1(tmp_path: Path, location: str, says: str) -> None:
    location = location.replace("{tmp}", str(tmp_path))
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n", encoding="utf-8")
    for args in (("sessions", "--store", location), ("store", "copy", location, "default")):
        result = _ramify(tmp_path, *args)
        line = _failed_in_one_line(result)
        assert says in line.lower() or says in line
        assert SECRET not in result.stdout + result.stderr
    assert not (tmp_path / "no").exists()
    assert not (tmp_path / "ramify.sqlite3").exists()
    assert notes.read_text(encoding="utf-8") == "my notes, not a database\n"


def test_the_ide_with_a_bad_store_says_so_in_one_line(tmp_path: Path) -> None:
    result = _ramify(tmp_path, "--store", str(tmp_path / "missing" / "x.sqlite3"))
    assert "does not exist" in _failed_in_one_line(result)


def test_copying_an_unknown_session_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "source.sqlite3"
    _session_in(source, "only")
    result = _ramify(tmp_path, "store", "copy", str(source), "default", "--session", "nope")
    assert "'nope'" in _failed_in_one_line(result)
