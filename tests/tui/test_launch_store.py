"""The IDE's store: the `--store` flag, else the config's `store`; a password in the URL is
warned about, masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core import SQLiteStore
from ramify.core.llm import RamifyConfig
from ramify.tui.launch import LaunchOptions, _open_store, _store_notices


async def test_the_flag_beats_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAMIFY_STORE", raising=False)
    flag, configured = tmp_path / "flag.sqlite3", tmp_path / "config.sqlite3"
    config = RamifyConfig(store=str(configured))
    for options, expected in (
        (LaunchOptions(store=str(flag)), flag),
        (LaunchOptions(), configured),
    ):
        store = await _open_store(options, config)
        assert isinstance(store, SQLiteStore)
        try:
            assert store.file_path == expected
        finally:
            await store.close()


async def test_a_store_that_cannot_be_used_is_one_line(tmp_path: Path) -> None:
    options = LaunchOptions(store="mysql://me:pw@host/db")
    problem = await _open_store(options, RamifyConfig())
    assert isinstance(problem, str)
    assert "unknown store scheme" in problem
    assert ":pw@" not in problem


def test_a_password_in_the_store_url_becomes_a_masked_notice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RAMIFY_STORE", raising=False)
    config = RamifyConfig(store="postgresql://me:hunter2@db/ramify")
    (notice,) = _store_notices(LaunchOptions(), config)
    assert "postgresql://***@db/ramify" in notice
    assert "hunter2" not in notice + capsys.readouterr().err
    assert _store_notices(LaunchOptions(store="team.sqlite3"), config) == []
    assert _store_notices(LaunchOptions(replay_file=Path("x.md")), config) == []
