"""`ramify run FILE.py:NAME --input JSON` and `ramify workflow list|resume [RUN]`.

A run stopped at a task's breakpoint (``ramify run --break before:TASK``, or one set in the
IDE) ends waiting; `ramify workflow resume RUN` then says so, and ``--continue`` (with
``--edit JSON``: the task's input before it, its output after it) answers it and goes on.

A run records where its workflow is defined (the file's absolute path and the name), so
`ramify workflow resume` loads the same definition again from any folder. Task progress goes
to stderr as ``state/task: status`` lines, the final result to stdout as JSON. Every failure
is one line on stderr saying what to do, never a traceback. The user's file is loaded outside
the event loop, as the IDE's agent loading does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ramify.core import Session, Store
    from ramify.core.workflow import Workflow, WorkflowProgress, WorkflowResult, WorkflowRunInfo

__all__ = ["add_run_options", "add_workflow_commands", "run_command", "workflow_command"]

OK = 0
FAILED = 1
USAGE = 2
INTERRUPTED = 130


class _Failed(Exception):
    """A failure to report in one line, with its exit code."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


def add_run_options(parser: argparse.ArgumentParser, store_option: Callable[..., None]) -> None:
    """The arguments of `ramify run`."""
    parser.add_argument("workflow", metavar="FILE.py:NAME", help="a Workflow defined in a file")
    parser.add_argument(
        "--input", default="{}", metavar="JSON", help="the workflow's input, a JSON object"
    )
    parser.add_argument(
        "--break",
        dest="breaks",
        action="append",
        default=[],
        metavar="before|after:TASK",
        help="stop before or after the tasks matching TASK (a name or glob; repeatable)",
    )
    store_option(parser)


def add_workflow_commands(
    parser: argparse.ArgumentParser, store_option: Callable[..., None]
) -> None:
    """`ramify workflow list` and `ramify workflow resume [RUN]`."""
    actions = parser.add_subparsers(dest="workflow_command", required=True)
    store_option(actions.add_parser("list", help="the workflow runs in the store, with status"))
    resume = actions.add_parser(
        "resume", help="continue a run that stopped; finished tasks are not run again"
    )
    resume.add_argument(
        "run", nargs="?", help="run id or prefix (default: the latest run that did not finish)"
    )
    resume.add_argument(
        "--continue",
        dest="answer",
        action="store_true",
        help="answer the breakpoint the run waits at, and go on",
    )
    resume.add_argument(
        "--edit",
        metavar="JSON",
        help="with --continue: the task's input (before it) or output (after it) instead",
    )
    store_option(resume)


def run_command(args: argparse.Namespace) -> int:
    """`ramify run`: check the input, load the workflow, run it in a new session."""
    from ramify.core.workflow import WorkflowError, check_input
    from ramify.tui.agent_loader import AgentSpecError
    from ramify.tui.workflow_loader import load_workflow_spec

    example = '--input \'{"field": "value"}\''
    try:
        value = json.loads(args.input)
    except json.JSONDecodeError as error:
        return _fail(f"--input is not JSON ({error}); pass an object, e.g. {example}", USAGE)
    if not isinstance(value, dict):
        return _fail(f"--input must be a JSON object, e.g. {example}", USAGE)
    breaks = []
    for typed in args.breaks:
        point, _, pattern = typed.partition(":")
        if point not in ("before", "after") or not pattern.strip():
            return _fail(f"--break {typed!r}: write before:TASK or after:TASK", USAGE)
        breaks.append((point, pattern.strip()))
    try:
        workflow, source = load_workflow_spec(args.workflow)
        workflow.validate()
        value = check_input(workflow, value)
    except AgentSpecError as error:
        return _fail(str(error))
    except WorkflowError as error:
        return _fail(f"{error}; pass an --input that fits it", USAGE)

    async def body(store: Store) -> int:
        from ramify.core import Session
        from ramify.core.tools import interrupt_settings
        from ramify.core.workflow import run_workflow

        session = await Session.create(store, title=f"workflow {workflow.name}")
        settings = interrupt_settings(session)
        for point, pattern in breaks:
            settings.add_breakpoint(point, pattern, "task")
        branch = await session.free_branch_name(f"workflow-{workflow.name}")
        return await _report(
            session,
            lambda progress: run_workflow(
                workflow, value, session=session, branch=branch, source=source, progress=progress
            ),
        )

    return _with_store(body, args.store)


def workflow_command(args: argparse.Namespace) -> int:
    """`ramify workflow list` or `ramify workflow resume [RUN]`."""
    if args.workflow_command == "list":
        return _with_store(_list_runs, args.store)
    found: list[WorkflowRunInfo] = []

    async def find(store: Store) -> int:
        found.append(await _pick_run(store, args.run))
        return OK

    code = _with_store(find, args.store)
    if code != OK:
        return code
    info = found[0]
    if not info.source:
        return _fail(
            f"run {info.run.id[:12]} recorded no workflow file (it was started from code); "
            "resume it there with resume_workflow(session, workflow, run_id)"
        )
    from ramify.tui.agent_loader import AgentSpecError
    from ramify.tui.workflow_loader import load_workflow_spec

    try:
        workflow, _ = load_workflow_spec(info.source)
    except AgentSpecError as error:
        return _fail(f"cannot load the workflow of run {info.run.id[:12]}: {error}")

    async def resume(store: Store) -> int:
        from ramify.core import Session
        from ramify.core.workflow import resume_workflow

        assert info.run.session_id is not None
        session = await Session.open(store, info.run.session_id)
        if args.answer or args.edit is not None:
            return await _report(
                session,
                lambda progress: _continue_waiting(
                    session, workflow, info.run.id, args.edit, progress
                ),
            )
        return await _report(
            session,
            lambda progress: resume_workflow(session, workflow, info.run.id, progress=progress),
        )

    return _with_store(resume, args.store)


async def _continue_waiting(
    session: Session,
    workflow: Workflow,
    run_id: str,
    edited: str | None,
    progress: Callable[[WorkflowProgress], None],
) -> WorkflowResult:
    """Answer the breakpoint run `run_id` waits at (with `edited`), and go on."""
    from ramify.core.workflow import WorkflowResumeError, answer_task_breakpoint
    from ramify.core.workflow.breakpoints import waiting_interrupt

    waiting = await waiting_interrupt(session, await session.get_run(run_id))
    if waiting is None:
        raise _Failed(
            f"run {run_id[:12]} waits at no breakpoint; resume it without --continue", USAGE
        )
    try:
        return await answer_task_breakpoint(
            session, workflow, waiting[0], edited=edited, progress=progress
        )
    except WorkflowResumeError:
        raise
    except ValueError as error:
        raise _Failed(f"--edit: {error}", USAGE) from None


async def _report(
    session: Session, start: Callable[[Callable[[WorkflowProgress], None]], Awaitable[Any]]
) -> int:
    """Run `start(progress)`, printing progress lines, then the result or one error line."""
    from ramify.core.workflow import WorkflowError, WorkflowResult, WorkflowWaiting

    announced: list[str] = []

    def progress(step: WorkflowProgress) -> None:
        if not announced:
            announced.append(step.run_id)
            print(f"ramify: run {step.run_id[:12]} in session {session.id[:12]}", file=sys.stderr)
        print(f"{step.state}/{step.task}: {step.status}", file=sys.stderr, flush=True)

    try:
        result: WorkflowResult = await start(progress)
    except WorkflowWaiting as error:
        waiting = error.result.run.id[:12] if isinstance(error.result, WorkflowResult) else "RUN"
        raise _Failed(
            f"{error}: `ramify workflow resume {waiting} --continue` (--edit JSON to change it), "
            "or w in the IDE"
        ) from None
    except WorkflowError as error:
        run = error.result.run.id if isinstance(error.result, WorkflowResult) else None
        hint = f"; fix it and run `ramify workflow resume {run[:12]}`" if run else ""
        raise _Failed(f"{error}{hint}") from None
    print(json.dumps(result.result, indent=2, ensure_ascii=False))
    print(
        f"ramify: run {result.run.id[:12]} done on branch {result.branch} "
        f"({' -> '.join(result.states)})",
        file=sys.stderr,
    )
    return OK


async def _pick_run(store: Store, key: str | None) -> WorkflowRunInfo:
    from ramify.core.runs import RunStatus

    runs = await _runs_with_status(store)
    if not runs:
        raise _Failed("no workflow runs yet: start one with `ramify run FILE.py:NAME`")
    if key is None:
        unfinished = [info for info in runs if info.run.status is not RunStatus.DONE]
        if not unfinished:
            raise _Failed("nothing to resume: every workflow run finished (ramify workflow list)")
        return unfinished[-1]
    matches = [info for info in runs if info.run.id.startswith(key.lower())]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise _Failed(f"no workflow run {key!r}; `ramify workflow list` shows them")
    raise _Failed(f"{key!r} names {len(matches)} runs; give more of the run id")


async def _runs_with_status(store: Store) -> list[WorkflowRunInfo]:
    """The workflow runs, with runs of dead processes read as interrupted (as opening their
    session in the IDE would mark them)."""
    from ramify.core import Session
    from ramify.core.runs import RunStatus
    from ramify.core.workflow import workflow_runs

    runs = await workflow_runs(store)
    stale = {info.run.session_id for info in runs if info.run.status is RunStatus.RUNNING}
    if not stale:
        return runs
    for session_id in stale:
        if session_id is not None:
            await Session.open(store, session_id)
    return await workflow_runs(store)


async def _list_runs(store: Store) -> int:
    from ramify.tui.sanitize import snippet

    runs = await _runs_with_status(store)
    if not runs:
        print("no workflow runs yet: start one with `ramify run FILE.py:NAME`")
        return OK
    print(f"{'RUN':<12}  {'STARTED (UTC)':<16}  {'STATUS':<11}  {'WORKFLOW':<16}  SOURCE")
    for info in reversed(runs):
        started = time.strftime("%Y-%m-%d %H:%M", time.gmtime(info.run.started_at))
        print(
            f"{info.run.id[:12]:<12}  {started:<16}  {info.run.status.value:<11}  "
            f"{snippet(info.workflow, 16):<16}  {snippet(info.source, 100) or '(from code)'}"
        )
    return OK


def _with_store(body: Callable[[Store], Awaitable[int]], location: str | None) -> int:
    from ramify.tui.store_commands import chosen_store

    chosen, notices = chosen_store(location)
    for notice in notices:
        print(f"ramify: {notice}", file=sys.stderr)
    try:
        return asyncio.run(_in_store(body, chosen))
    except KeyboardInterrupt:
        return _fail("interrupted; `ramify workflow resume` continues the run", INTERRUPTED)


async def _in_store(body: Callable[[Store], Awaitable[int]], location: str | None) -> int:
    from ramify.core import StoreError
    from ramify.core.redact import redact_urls
    from ramify.tui.store_commands import open_chosen_store

    store = await open_chosen_store(location)
    if isinstance(store, str):
        return _fail(store)
    try:
        return await body(store)
    except _Failed as error:
        return _fail(str(error), error.code)
    except StoreError as error:
        return _fail(redact_urls(str(error)))
    finally:
        await store.close()


def _fail(message: str, code: int = FAILED) -> int:
    print(f"ramify: {' '.join(message.split())}", file=sys.stderr)
    return code
