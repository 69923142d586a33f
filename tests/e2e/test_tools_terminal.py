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


COUNTING_AGENT = '''
from ramify.core.tools import agent_with_tools, tool

calls = []


@tool(name="calculator", destructive=True)
def counting(expression: str) -> str:
    """Evaluate an arithmetic expression (counts its calls)."""
    calls.append(expression)
    return f"[b]{expression}[/b] call {len(calls)}"


agent = agent_with_tools([counting], api="demo", alias="counting", policies={"*": "allow"})
'''


@pytest.mark.timeout(120)
def test_reexecuting_a_destructive_call_asks_then_adds_a_sibling_result(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    agent_file = tmp_path / "counting.py"
    agent_file.write_text(COUNTING_AGENT, encoding="utf-8")
    environment = {"RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(tmp_path / "config.toml")}
    terminal = Terminal(tmp_path, [str(RAMIFY), f"{agent_file}:agent"], environment)
    try:
        terminal.wait_for("⑂ main", "the path bar")
        terminal.type("what is 12*7")
        terminal.wait_for("▊ what is 12*7", "the question in the composer")
        terminal.press("Enter")
        terminal.wait_for("▸ calculator → [b]12*7[/b] call 1", "the result, literal")
        terminal.wait_for("⑂ main  4/4", "the answer after it, settled and selected")
        terminal.press("C-g")
        terminal.wait_for("NAVIGATE", "navigate mode")
        terminal.press("h", "x")
        terminal.wait_for("▾ calculator →", "the selected result, expanded")
        terminal.press("R")
        terminal.wait_for("is destructive", "the question before running it again")
        terminal.press("n")
        terminal.wait_for(lambda screen: "is destructive" not in screen, "the question closing")
        assert "call 2" not in terminal.screen()
        terminal.press("C-g")
        terminal.wait_for("NAVIGATE", "navigate mode again, the result still selected")
        terminal.press("R")
        terminal.wait_for("is destructive", "the question, asked again")
        terminal.press("y")
        terminal.wait_for("[b]12*7[/b] call 2", "the new result")
        terminal.wait_for("reexecute-1", "the sibling's branch")
        terminal.press("C-q")
        assert terminal.wait_for_exit(deadline=30) == 0
    finally:
        terminal.close()
