"""`ramify run FILE.py:NAME --input JSON` and `ramify workflow list|resume`, run as the real
command on real SQLite files: a run killed with SIGKILL mid-workflow is resumed without
running its finished task again; bad input ends in one line, no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "workflows"

# `second` counts its executions, then blocks reading stdin: the test decides when it may
# finish (a line on the pipe), or kills the process while it waits.
GATED = """
import os, sys
from pathlib import Path
from pydantic import BaseModel
from ramify.core.workflow import Workflow

COUNTS = Path(os.environ["WF_COUNTS"])


class Job(BaseModel):
    n: int


class First(BaseModel):
    first: int


class Second(BaseModel):
    second: int


def count(name):
    with open(COUNTS / name, "a") as handle:
        handle.write("ran\\n")


gated = Workflow("gated")
work = gated.state("work", final=True)


@work.task()
def first(job: Job) -> First:
    count("first")
    return First(first=job.n + 1)


@work.task()
def second(value: First) -> Second:
    count("second")
    print("second is waiting", file=sys.stderr, flush=True)
    sys.stdin.readline()
    return Second(second=value.first * 10)


first >> second
"""


def _command(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ramify.tui.cli", *args, "--store", str(tmp_path / "wf.db")]


def _env(tmp_path: Path) -> dict[str, str]:
    counts = tmp_path / "counts"
    counts.mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if k not in ("RAMIFY_STORE", "PGHOST")}
    return {
        **base,
        "RAMIFY_HOME": str(tmp_path),
        "RAMIFY_CONFIG": str(tmp_path / "config.toml"),
        "WF_COUNTS": str(counts),
    }


def _ramify(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(tmp_path, *args),
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=False,
    )


def _runs(tmp_path: Path, name: str) -> int:
    path = tmp_path / "counts" / name
    return len(path.read_text().splitlines()) if path.exists() else 0


def _one_line_failure(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ramify: ")
    assert result.stdout == ""
    return lines[0]


@pytest.mark.timeout(240)
def test_a_run_killed_mid_workflow_resumes_without_rerunning_finished_tasks(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "gated.py"
    spec.write_text(GATED)
    child = subprocess.Popen(
        _command(tmp_path, "run", f"{spec}:gated", "--input", '{"n": 4}'),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    assert child.stderr is not None
    seen = []
    # "work/first: done" is printed once first's output node and run are stored, and
    # second waits (having counted itself) for a line that never comes.
    for line in child.stderr:
        seen.append(line)
        if line.strip() == "second is waiting":
            break
    assert "work/first: done\n" in seen, "".join(seen) + (child.stderr.read() or "")
    child.send_signal(signal.SIGKILL)
    # Reaped, so its pid reads as gone (a zombie would still answer a signal 0).
    child.wait()
    assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 1)

    listed = _ramify(tmp_path, "workflow", "list")
    assert listed.returncode == 0, listed.stderr
    assert "interrupted" in listed.stdout
    assert f"{spec.resolve()}:gated" in listed.stdout

    resumed = _ramify(tmp_path, "workflow", "resume", stdin="go\n")
    assert resumed.returncode == 0, resumed.stderr
    assert "work/first: reused" in resumed.stderr.splitlines()
    assert json.loads(resumed.stdout) == {"n": 4, "first": 5, "second": 50}
    # The branch the killed run started (still at its input node) is the one that goes on.
    assert "done on branch workflow-gated-1 (work)" in resumed.stderr
    # The finished task ran exactly once; the interrupted one ran again.
    assert _runs(tmp_path, "first") == 1
    assert _runs(tmp_path, "second") == 2

    after = _ramify(tmp_path, "workflow", "list")
    assert " done " in after.stdout
    assert "interrupted" not in after.stdout
    nothing = _ramify(tmp_path, "workflow", "resume")
    assert "nothing to resume" in _one_line_failure(nothing, 1)


def test_run_prints_progress_and_the_output_of_an_example(tmp_path: Path) -> None:
    result = _ramify(
        tmp_path, "run", f"{EXAMPLES / 'sop.py'}:sop", "--input", '{"idea": "keep notes"}'
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert "tests in test_app.py" in output["code"]
    lines = result.stderr.splitlines()
    assert lines.count("design/architect: done") == 2
    assert "coding/engineer: done" in lines
    assert "(design -> design -> coding)" in lines[-1]


def test_the_write_run_fix_example_runs_with_its_input_defaults(tmp_path: Path) -> None:
    example = f"{EXAMPLES / 'write_run_fix.py'}:write_run_fix"
    result = _ramify(tmp_path, "run", example)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"] == "passed after 3 tries"


@pytest.mark.parametrize(
    ("given", "code", "says"),
    [
        ('{"idea": ', 2, "--input is not JSON"),
        ("[1, 2]", 2, "--input must be a JSON object"),
        ('{"idae": "x"}', 2, "does not fit Idea: idea: Field required"),
    ],
    ids=["not-json", "not-an-object", "not-the-model"],
)
def test_bad_input_is_one_line_and_records_no_run(
    tmp_path: Path, given: str, code: int, says: str
) -> None:
    result = _ramify(tmp_path, "run", f"{EXAMPLES / 'sop.py'}:sop", "--input", given)
    assert says in _one_line_failure(result, code)
    listed = _ramify(tmp_path, "workflow", "list")
    assert "no workflow runs yet" in listed.stdout


def test_a_name_that_is_no_workflow_lists_what_the_file_offers(tmp_path: Path) -> None:
    result = _ramify(tmp_path, "run", f"{EXAMPLES / 'sop.py'}:build")
    line = _one_line_failure(result, 1)
    assert "'build'" in line
    assert "not a Workflow" in line
    missing = _ramify(tmp_path, "run", f"{EXAMPLES / 'sop.py'}:nope")
    assert "workflows in it: sop" in _one_line_failure(missing, 1)
