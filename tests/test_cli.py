"""The `ramify` command outside a terminal: fast flags, and one-line errors before the IDE starts.

The IDE itself is driven in a real terminal by tests/e2e/test_tmux.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ramify.tui.cli import main

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
    # Without a terminal the IDE does not start, but the config is read (and reported) first.
    assert result.returncode == 2, result.stderr
    assert "needs a terminal" in result.stderr
    assert "Traceback" not in result.stderr
    assert str(config) in result.stderr
    assert "line 2" in result.stderr
    assert "starting with the default settings" in result.stderr


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "shown", "not_shown"),
    [
        ("export", ["--scope", "(default: tree)", "--branch", "--output"], ["--demo", "--pace"]),
        ("replay", ["--pace", "(default: 1.0)", "--demo", "--config"], ["--scope", "--new"]),
        ("open", ["--demo", "--config"], ["--pace", "--scope"]),
        ("import", ["FILE.md"], ["--demo", "--config", "--scope"]),
        ("sessions", [], ["--demo", "--config", "--scope"]),
    ],
)
def test_subcommand_help_shows_only_the_options_that_apply_with_defaults(
    capsys: pytest.CaptureFixture[str], command: str, shown: list[str], not_shown: list[str]
) -> None:
    text = " ".join(_help(capsys, command).split())
    assert text.startswith(f"usage: ramify {command} ")
    for option in shown:
        assert option in text
    for option in not_shown:
        assert option not in text


def test_top_level_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    for command in ("open", "replay", "export", "import", "sessions"):
        assert f"\n  {command} " in text


@pytest.mark.parametrize("pace", ["-1", "0", "nan", "inf", "fast"])
def test_replay_pace_must_be_a_number_above_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pace: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", str(tmp_path / "x.md"), "--pace", pace])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --pace:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [("sessions",), ("export",), ("--help",), ("export", "--help")])
def test_printing_commands_stop_quietly_when_the_reader_has_gone(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    # `ramify sessions | head -2`: the pipe's reader is gone before ramify writes.
    (tmp_path / "chat.md").write_text("# user\n\nhello\n\n# assistant\n\nhi\n", encoding="utf-8")
    assert _ramify(tmp_path, "import", str(tmp_path / "chat.md")).returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "RAMIFY_HOME": str(tmp_path), "RAMIFY_CONFIG": str(tmp_path / "c.toml")}
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ramify.tui.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode in (0, 1)
