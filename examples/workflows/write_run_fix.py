"""Write -> run -> fix as a workflow loop, offline: a scripted coder stands in for a model.

state "attempt": the coder writes code (reading the errors of the last run), then the code
is run against its checks in a child Python process. After it: passed -> "done";
not passed and tries left -> "attempt" again; otherwise -> "gave_up".

    python examples/workflows/write_run_fix.py [max_tries]
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

from pydantic import BaseModel

from ramify.core.workflow import Workflow, WorkflowResult, run_workflow

# What the scripted coder writes on each try: a typo, a wrong answer, then a right one.
SCRIPTED_VERSIONS = [
    "def add(a, b)\n    return a + b\n",
    "def add(a, b):\n    return a - b\n",
    "def add(a, b):\n    return a + b\n",
]
CHECKS = "assert add(2, 3) == 5, 'add(2, 3) should be 5'\nassert add(-1, 1) == 0\n"


class Job(BaseModel):
    max_tries: int = 3
    tries: int = 0
    errors: str = ""


class Source(BaseModel):
    code: str
    tries: int


class Report(BaseModel):
    passed: bool
    errors: str


class Outcome(BaseModel):
    passed: bool
    tries: int
    max_tries: int
    code: str
    errors: str


class Summary(BaseModel):
    summary: str


def build() -> Workflow:
    loop = Workflow("write_run_fix")
    attempt = loop.state("attempt")
    done = loop.state("done", final=True)
    gave_up = loop.state("gave_up", final=True)

    @attempt.task()
    def write(job: Job) -> Source:
        # A model would read job.errors here; the script just takes its next version.
        return Source(
            code=SCRIPTED_VERSIONS[min(job.tries, len(SCRIPTED_VERSIONS) - 1)], tries=job.tries + 1
        )

    @attempt.task()
    async def run_checks(source: Source) -> Report:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-c",
            source.code + CHECKS,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        lines = stderr.decode(errors="replace").strip().splitlines()
        return Report(passed=process.returncode == 0, errors=lines[-1] if lines else "")

    write >> run_checks  # type: ignore[operator]

    @attempt.condition()
    def passed(outcome: Outcome) -> bool:
        return outcome.passed

    @attempt.condition()
    def tries_left(outcome: Outcome) -> bool:
        return outcome.tries < outcome.max_tries

    @done.task()
    def report_success(outcome: Outcome) -> Summary:
        return Summary(summary=f"passed after {outcome.tries} tries")

    @gave_up.task()
    def report_failure(outcome: Outcome) -> Summary:
        return Summary(summary=f"gave up after {outcome.tries} tries: {outcome.errors}")

    (attempt & passed) >> done
    (attempt & ~passed & tries_left) >> attempt
    attempt >> gave_up
    return loop


# What `ramify run examples/workflows/write_run_fix.py:write_run_fix --input JSON` runs.
write_run_fix = build()


async def main(max_tries: int) -> WorkflowResult:
    result = await run_workflow(build(), Job(max_tries=max_tries))
    print(" -> ".join(result.states))
    print(result.result["summary"])
    return result


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
