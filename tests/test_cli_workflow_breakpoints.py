"""`ramify run --break` stops a workflow at a task's breakpoint; `ramify workflow resume`
says how to answer it, and `--continue` (with `--edit`) goes on (in process, real SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ramify.tui.cli import main
from tests.tui.test_workflow_actions import FLOW


def test_a_run_stopped_at_a_breakpoint_is_continued_with_an_edit_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "flow.py"
    spec.write_text(FLOW)
    store = ["--store", str(tmp_path / "wf.db")]
    run = ["run", f"{spec}:flow", "--input", '{"n": 1}', "--break", "before:second", *store]
    assert main(run) == 1
    stopped = capsys.readouterr().err
    assert "waiting at a breakpoint" in stopped
    assert "--continue" in stopped
    assert (tmp_path / "count-first").exists()
    assert not (tmp_path / "count-second").exists()

    assert main(["runs", "--waiting", *store]) == 0
    assert "Breakpoint before task flow/only/second" in capsys.readouterr().out

    assert main(["workflow", "resume", *store]) == 1
    assert "waits at the breakpoint before task flow/only/second" in capsys.readouterr().err

    assert main(["workflow", "resume", "--continue", "--edit", '{"first": "x"}', *store]) == 2
    assert "nothing was changed" in capsys.readouterr().err
    assert not (tmp_path / "count-second").exists()

    assert main(["workflow", "resume", "--continue", "--edit", '{"first": 5}', *store]) == 0
    assert json.loads(capsys.readouterr().out)["second"] == 50
    assert (tmp_path / "count-first").read_text().count("ran") == 1


def test_a_bad_break_option_says_how_to_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "flow.py"
    spec.write_text(FLOW)
    assert main(["run", f"{spec}:flow", "--break", "second", "--store", str(tmp_path / "d")]) == 2
    assert "write before:TASK or after:TASK" in capsys.readouterr().err
