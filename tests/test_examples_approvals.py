"""examples/approvals_demo.py: ask in one process, list with `ramify runs --waiting`, answer in
another (real processes, the default SQLite database of an isolated RAMIFY_HOME)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "approvals_demo.py"


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


@pytest.mark.slow
def test_the_demo_waits_then_goes_on_when_answered_from_another_process() -> None:
    asked = _run(str(EXAMPLE), "ask", "what is 12*7")
    assert "⏸ waiting for approval: calculator" in asked
    assert 'calculator({"expression":"12*7"})' in asked
    listed = _run("-m", "ramify.tui.cli", "runs", "--waiting")
    assert "waiting" in listed
    assert "⏸ waiting for approval: calculator" in listed
    answered = _run(str(EXAMPLE), "answer", "allow_once")
    assert "[tool] 84" in answered
    assert "**84**" in answered
    assert _run("-m", "ramify.tui.cli", "runs", "--waiting").strip() == "no waiting runs"
