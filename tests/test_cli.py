"""The `ramify` command as a new user runs it: a console chat recorded into the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ramify.core import USER, Session, SQLiteStore

pytestmark = pytest.mark.slow


def _ramify(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(home / "config.toml")}
    return subprocess.run(
        [sys.executable, "-m", "ramify.tui.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_console_chat_streams_the_demo_reply_and_records_both_messages(
    tmp_path: Path,
) -> None:
    result = _ramify(tmp_path, "--demo", stdin="hello from the test\n")
    assert result.returncode == 0, result.stderr
    assert "DEMO_AGENT> " in result.stdout
    assert "> hello from the test" in result.stdout
    async with SQLiteStore(tmp_path / "ramify.sqlite3") as store:
        (record,) = await store.list_sessions()
        session = await Session.open(store, record.id)
        path = await session.path_messages("main")
    assert [node.sender for node, _ in path] == [USER, "DEMO_AGENT"]
    assert str(path[0][1]) == "hello from the test"
    assert "hello from the test" in str(path[1][1])


def test_a_damaged_database_gives_one_line_and_is_left_untouched(tmp_path: Path) -> None:
    database = tmp_path / "ramify.sqlite3"
    database.write_bytes(b"this is not a database" * 100)
    before = database.read_bytes()
    result = _ramify(tmp_path, "--demo", stdin="hi\n")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert database.read_bytes() == before


def test_version_is_printed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ramify.tui.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.startswith("ramify 0.1.0")


def test_a_broken_config_named_by_the_flag_gives_one_line_and_falls_back_to_demo(
    tmp_path: Path,
) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('default_agent = "demo"\n[providers\n')
    result = _ramify(tmp_path, "--config", str(config), stdin="hi\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert str(config) in result.stderr
    assert "line 2" in result.stderr
    assert "DEMO_AGENT> " in result.stdout
