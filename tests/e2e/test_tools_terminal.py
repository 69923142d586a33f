"""The tool loop in a real terminal: the demo model calls its calculator with no key, and the
call and its result show collapsed in the transcript."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.e2e.terminal import TMUX, Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

RAMIFY = Path(sys.executable).with_name("ramify")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tools_demo.py"


@pytest.mark.timeout(120)
def test_the_demo_model_calls_its_calculator_in_a_real_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    environment = {"RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(tmp_path / "config.toml")}
    terminal = Terminal(tmp_path, [str(RAMIFY), f"{EXAMPLE}:agent"], environment)
    try:
        terminal.wait_for("⑂ main", "the path bar")
        terminal.type("what is 12*7")
        terminal.wait_for("▊ what is 12*7", "the question in the composer")
        terminal.press("Enter")
        terminal.wait_for("▸ calculator(expression=12*7)", "the call, collapsed")
        terminal.wait_for("▸ calculator → 84", "the result, collapsed")
        terminal.wait_for("calculator(12*7)", "the answer from the result")
        terminal.press("C-q")
        assert terminal.wait_for_exit(deadline=30) == 0
    finally:
        terminal.close()
