"""The seed README's examples run with only their imports mapped and print exactly its lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
pytestmark = pytest.mark.slow

SCRIPTED_INPUT = """
import builtins, runpy, sys
answers = iter(["hi", "nice!", "bye"])
def scripted_input(prompt=""):
    print(prompt, end="")
    try:
        answer = next(answers)
    except StopIteration:
        print()
        raise KeyboardInterrupt
    print(answer)
    return answer
builtins.input = scripted_input
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
except KeyboardInterrupt:
    print("<KeyboardInterrupt reached the caller>")
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_echo_example() -> None:
    result = _run(str(EXAMPLES / "echo.py"))
    assert result.stdout == "You said: Hello\nYou said: World\n", result.stderr


def test_parallelism_example_prints_in_the_documented_order() -> None:
    result = _run(str(EXAMPLES / "parallelism.py"))
    assert result.stdout.splitlines() == [
        "PREPARING TO DELIVER MESSAGES FROM AGGREGATOR",
        "Aggregator started",
        "Aggregator still working",
        "Aggregator finished",
        "Agent 1 started",
        "Agent 1 finished",
        "Agent 2 started",
        "Agent 2 finished",
        "*** MESSAGE from Agent 1 ***",
        "*** MESSAGE from Agent 2 ***",
        "*** MESSAGE #1 from Aggregator ***",
        "*** MESSAGE #2 from Aggregator ***",
        "TOTAL NUMBER OF MESSAGES FROM AGGREGATOR: 4",
    ], result.stderr


def test_custom_dialog_loop_example_with_scripted_input() -> None:
    result = _run("-c", SCRIPTED_INPUT, str(EXAMPLES / "dialog_loop.py"))
    assert result.stdout.splitlines() == [
        "USER: hi",
        'ASSISTANT: You said "hi"',
        "USER: nice!",
        'ASSISTANT: You said "nice!"',
        "USER: bye",
        'ASSISTANT: You said "bye"',
        "USER: ",
        "<KeyboardInterrupt reached the caller>",
    ], result.stderr
    assert "Traceback" not in result.stderr


def test_message_models_example() -> None:
    result = _run(str(EXAMPLES / "message_models.py"))
    assert result.stdout.splitlines() == ["user system assistant", "Hello", "Custom Value"]
