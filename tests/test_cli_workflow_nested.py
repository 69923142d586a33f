"""A run killed with SIGKILL inside a sub-workflow, resumed by the real `ramify workflow
resume`: the inner task that finished is taken over, only the interrupted one runs again."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.test_cli_workflow import _command, _env, _ramify, _runs

pytestmark = pytest.mark.slow

# The inner workflow's `second` counts its executions, then blocks reading stdin until the
# test writes a line, or kills the process while it waits.
NESTED = """
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


class Last(BaseModel):
    last: int


def count(name):
    with open(COUNTS / name, "a") as handle:
        handle.write("ran\\n")


inner = Workflow("inner")
steps = inner.state("steps", final=True)


@steps.task()
def first(job: Job) -> First:
    count("first")
    return First(first=job.n + 1)


@steps.task()
def second(value: First) -> Second:
    count("second")
    print("second is waiting", file=sys.stderr, flush=True)
    sys.stdin.readline()
    return Second(second=value.first * 10)


first >> second

outer = Workflow("outer")
work = outer.state("work", final=True)
nest = work.subworkflow(inner, name="nest")


@work.task()
def last(value: Second) -> Last:
    count("last")
    return Last(last=value.second + 1)


nest >> last
"""


@pytest.mark.timeout(240)
def test_a_run_killed_inside_a_sub_workflow_resumes_without_rerunning_finished_inner_tasks(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "nested.py"
    spec.write_text(NESTED)
    child = subprocess.Popen(
        _command(tmp_path, "run", f"{spec}:outer", "--input", '{"n": 4}'),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    assert child.stderr is not None
    seen = []
    for line in child.stderr:
        seen.append(line)
        if line.strip() == "second is waiting":
            break
    assert "work/nest/steps/first: done\n" in seen, "".join(seen) + (child.stderr.read() or "")
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert (_runs(tmp_path, "first"), _runs(tmp_path, "second")) == (1, 1)

    resumed = _ramify(tmp_path, "workflow", "resume", stdin="go\n")
    assert resumed.returncode == 0, resumed.stderr
    lines = resumed.stderr.splitlines()
    assert "work/nest/steps/first: reused" in lines
    assert "work/nest/steps/second: done" in lines
    assert json.loads(resumed.stdout) == {"n": 4, "second": 50, "last": 51}
    assert (_runs(tmp_path, "first"), _runs(tmp_path, "second"), _runs(tmp_path, "last")) == (
        1,
        2,
        1,
    )
    listed = _ramify(tmp_path, "workflow", "list")
    assert "interrupted" not in listed.stdout
