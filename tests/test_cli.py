"""The `ramify` command outside a terminal: fast flags, and one-line errors before the IDE starts.

The IDE itself is driven in a real terminal by tests/e2e/test_tmux.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
