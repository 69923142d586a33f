"""The README works as written: its commands are what CI runs, its config examples load without
a notice, and "A first agent" runs with python and loads in the IDE."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ramify.core import Agent
from ramify.tui.agent_loader import load_agent_spec
from ramify.tui.launch import LaunchOptions, load_settings, pick_target

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def test_set_up_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    commands = _blocks(_section("Set up"), "bash")
    assert len(commands) == 2
    assert all(len(command.strip().splitlines()) == 1 for command in commands)
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[1].strip() in ci_lines


@pytest.mark.parametrize("index", [0, 1])
def test_config_examples_load_without_a_notice(index: int) -> None:
    blocks = _blocks(_section("Configuration"), "toml")
    assert len(blocks) == 2
    Path(os.environ["RAMIFY_CONFIG"]).write_text(blocks[index], encoding="utf-8")
    config, notices = load_settings()
    assert notices == []
    target, target_notices = pick_target(LaunchOptions(), config)
    assert target_notices == []
    assert target is not None
    assert target.alias == ("llama" if index == 0 else "DEMO_AGENT")


def _first_agent(tmp_path: Path) -> Path:
    (code,) = _blocks(_section("A first agent"), "python")
    path = tmp_path / "first_agent.py"
    path.write_text(code, encoding="utf-8")
    return path


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAMIFY_HOME": str(cwd), "RAMIFY_CONFIG": str(cwd / "config.toml")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_first_agent_prints_what_the_readme_says(tmp_path: Path) -> None:
    path = _first_agent(tmp_path)
    (printed,) = _blocks(_section("A first agent"), "")
    result = _run(tmp_path, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == printed


async def test_first_agent_loads_as_the_ide_loads_it(tmp_path: Path) -> None:
    # Inside a running event loop, as `ramify first_agent.py:my_agent` loads it.
    loaded = load_agent_spec(f"{_first_agent(tmp_path)}:my_agent")
    assert isinstance(loaded, Agent)
    assert loaded.alias == "MY_AGENT"


@pytest.mark.slow
def test_ramify_accepts_the_first_agent(tmp_path: Path) -> None:
    path = _first_agent(tmp_path)
    result = _run(tmp_path, "-m", "ramify.tui.cli", f"{path.name}:my_agent")
    # Without a terminal the IDE does not start, but the agent is loaded first.
    assert result.returncode == 2
    assert result.stderr == (
        "ramify: the IDE needs a terminal (stdin and stderr must be a tty); try `ramify export`\n"
    )
