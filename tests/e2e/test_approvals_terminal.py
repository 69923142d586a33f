"""An approval in a real terminal survives kill -9: the IDE asks, is killed while it waits,
and the next start asks again; allowing runs the recorded call."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.terminal import TMUX, Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

RAMIFY = Path(sys.executable).with_name("ramify")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "approvals_demo.py"
ASKED = "The agent wants to run calculator: allow it?"


def _kill_ramify(terminal: Terminal) -> None:
    """SIGKILL the IDE: the pane's shell runs it as its only child."""
    shell = int(terminal.tmux("display-message", "-p", "#{pane_pid}").strip())
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    assert len(children) == 1
    os.kill(int(children[0]), signal.SIGKILL)


@pytest.mark.timeout(180)
def test_a_waiting_approval_survives_kill_9_and_allowing_runs_the_call(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    environment = {"RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(tmp_path / "config.toml")}
    argv = [str(RAMIFY), f"{EXAMPLE}:agent"]
    first = Terminal(tmp_path, argv, environment)
    try:
        first.wait_for("⑂ main", "the path bar")
        first.type("what is 12*7")
        first.wait_for("▊ what is 12*7", "the question in the composer")
        first.press("Enter")
        first.wait_for(ASKED, "the approval")
        first.wait_for('calculator({"expression":"12*7"})', "the call's arguments, literal")
        _kill_ramify(first)
        assert first.wait_for_exit(deadline=30) == 128 + signal.SIGKILL
    finally:
        first.close()
    again = Terminal(tmp_path, argv, environment)
    try:
        again.wait_for(ASKED, "the approval again after the restart")
        again.press("o")
        again.wait_for("▸ calculator → 84", "the result of the allowed call")
        again.press("C-q")
        assert again.wait_for_exit(deadline=30) == 0
    finally:
        again.close()
