"""The IDE's workflow actions: run a workflow, watch it on the board, stream its tasks to panes;
resume a recorded run there (on opening a session whose run a dead process left, or by `W`:
what to resume is found by `workflow_autoresume`).

A run is a worker calling `run_workflow` on the open session (the session layer records it).
Its watcher runs on the app's loop and never touches a widget: status changes travel as
`WorkflowTaskChanged` messages, and a task's tokens go into a `StreamFeed` that its pane (an
ordinary agent pane, opened by `StreamOpened`) drains, as a reply's tokens do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from ramify.core.workflow import (
    TaskEvent,
    TaskStatus,
    TaskTokens,
    Workflow,
    WorkflowError,
    WorkflowResult,
    WorkflowWaiting,
    WorkflowWatcher,
    run_workflow,
)
from ramify.tui.events import StreamClosed, StreamOpened
from ramify.tui.sanitize import one_line
from ramify.tui.screens import PromptScreen
from ramify.tui.stream_feed import StreamFeed
from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets.stream_pane import StreamPane
from ramify.tui.widgets.workflow_view import WorkflowView
from ramify.tui.workflow_board import board_of

__all__ = ["WORKFLOW_RUN_KEY", "WorkflowActions", "WorkflowInputError", "parse_workflow_input"]

WORKFLOW_RUN_KEY = "workflow"
"""The run key of a workflow task's pane (what `action_cancel` looks up)."""

_PANE_STATUS = {
    TaskStatus.DONE: MessageStatus.DONE,
    TaskStatus.FAILED: MessageStatus.ERROR,
    TaskStatus.CANCELLED: MessageStatus.CANCELLED,
}


class WorkflowInputError(ValueError):
    """Input JSON that cannot start a workflow; the message says what to write instead."""


def parse_workflow_input(text: str) -> dict[str, Any]:
    """A workflow's input from JSON text: an object (blank: ``{}``)."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise WorkflowInputError(
            f"the input is not JSON ({error.msg} at column {error.colno}); "
            'write an object such as {"topic": "x"}'
        ) from None
    if not isinstance(value, dict):
        raise WorkflowInputError('the input must be a JSON object, such as {"topic": "x"}')
    return value


class WorkflowTaskChanged(Message):
    """A task of the running workflow changed status."""

    def __init__(self, event: TaskEvent) -> None:
        super().__init__()
        self.event = event


class StillWaiting(Exception):
    """An answer to a task's breakpoint was refused before anything ran (a bad edit, say):
    the run still waits there; the message says what to fix."""


class WorkflowEnded(Message):
    """The workflow run ended: `outcome` is done, cancelled, failed (`error`: why) or waiting
    (at a task's breakpoint; `error`: an answer that was refused)."""

    def __init__(self, outcome: str, branch: str | None, error: str | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.branch = branch
        self.error = error


class WorkflowResumeFound(Message):
    """Looking for the opened session's interrupted workflow run ended (see
    `workflow_autoresume`): a run to continue, a notice why not, or None."""

    def __init__(
        self, controller: SessionController, found: Resumable | str | None, asked: bool = False
    ) -> None:
        super().__init__()
        self.controller = controller
        self.found = found
        self.asked = asked  # by `W`, not on opening


if TYPE_CHECKING:
    from textual.app import App

    from ramify.tui.controller import SessionController
    from ramify.tui.workflow_autoresume import Resumable

    _AppBase = App[int]
else:
    _AppBase = object


class WorkflowActions(_AppBase):
    """Mixed into `RamifyApp`: the workflow view, "Run workflow…" and cancelling a run."""

    if TYPE_CHECKING:  # provided by RamifyApp and its other mixins
        inquiries: dict[str, Any]
        controller: SessionController | None

        def _need(self) -> SessionController | None: ...
        async def _catch_up(self, *, tree: bool = False) -> None: ...
        async def switch_branch(self, name: str | None) -> None: ...
        async def jump_to(self, node_hash: str) -> None: ...
        def offer_interrupt(self, quiet: bool = True) -> Any: ...

    _workflow_worker: Worker[None] | None = None
    _workflow_to_start: tuple[Workflow, dict[str, Any], str] | None = None
    auto_resume = True
    """Continue a session's interrupted workflow run when it opens (``--no-resume``: not)."""
    board_workflow: Workflow | None = None
    """The workflow last started on the board (a breakpoint's answer continues it with this
    definition when its run recorded no file)."""

    # --- starting -----------------------------------------------------------------------------

    def queue_workflow(self, workflow: Workflow, value: dict[str, Any], source: str = "") -> None:
        """Run `workflow` on `value` once the session is open (`ramify FILE.py:NAME`)."""
        self._workflow_to_start = (workflow, value, source)

    def start_queued_workflow(self) -> None:
        """Start the workflow queued at launch, if any (called when the session is ready)."""
        queued, self._workflow_to_start = self._workflow_to_start, None
        if queued is not None:
            self.start_workflow(*queued)

    def start_workflow(self, workflow: Workflow, value: dict[str, Any], source: str = "") -> None:
        """Show `workflow` on the board and run it on `value` in the open session.

        `source` (``/abs/file.py:NAME``) is recorded with the run, so `W`, `T` and reopening
        after a crash find the definition again."""
        controller = self._need()
        if controller is None:
            return
        if self.workflow_running:
            self.notify("A workflow is running already; cancel it first (Esc).", severity="warning")
            return
        view = self.query_one(WorkflowView)
        self.board_workflow = workflow
        view.show_workflow(workflow.name, board_of(workflow))
        view.remove_class("-hidden")
        self._workflow_worker = self._run_workflow(controller, workflow, value, source)

    # --- resuming what a dead process left -----------------------------------------------------

    def resume_interrupted_workflow(self) -> None:
        """On opening a session: continue its interrupted workflow run, if it has one."""
        controller = self.controller
        if controller is not None and self.auto_resume:
            self._find_interrupted_workflow(controller)

    @work(group="workflow-resume", exclusive=True, exit_on_error=False)
    async def _find_interrupted_workflow(self, controller: SessionController) -> None:
        from ramify.tui.workflow_autoresume import interrupted_workflow

        found: Resumable | str | None
        try:
            found = await interrupted_workflow(controller.session)
        except Exception as error:  # a store trouble: one line, the session stays usable
            found = f"Could not look for an interrupted workflow run: {one_line(error)}"
        self.post_message(WorkflowResumeFound(controller, found))

    def resume_workflow_at(self, controller: SessionController, node: str) -> None:
        """`W`: resume the workflow run that wrote `node` on the board."""
        self._find_workflow_run_at(controller, node)

    @work(group="workflow-resume", exclusive=True, exit_on_error=False)
    async def _find_workflow_run_at(self, controller: SessionController, node: str) -> None:
        from ramify.tui.workflow_autoresume import workflow_run_at

        found: Resumable | str
        try:
            found = await workflow_run_at(controller.session, node)
        except Exception as error:  # a store trouble: one line, the session stays usable
            found = f"Could not resume the workflow run: {one_line(error)}"
        self.post_message(WorkflowResumeFound(controller, found, asked=True))

    def on_workflow_resume_found(self, event: WorkflowResumeFound) -> None:
        from ramify.tui.workflow_autoresume import resuming_notice

        found, controller = event.found, event.controller
        if found is None or controller is not self.controller:
            return  # nothing to do, or another session was opened meanwhile
        if isinstance(found, str):
            self.notify(found, severity="warning", timeout=12)
            return
        name = found.workflow.name
        if self.workflow_running and event.asked:
            self.notify("A workflow is running already; cancel it first (Esc).", severity="warning")
            return
        if self.workflow_running:
            self.notify(
                f"Workflow {name} was interrupted; W on its run resumes it once this one ends.",
                severity="warning",
                timeout=8,
            )
            return
        view = self.query_one(WorkflowView)
        view.show_workflow(name, board_of(found.workflow))
        view.remove_class("-hidden")
        self.notify(resuming_notice(found), timeout=8)
        self._workflow_worker = self._resume_workflow_run(controller, found.workflow, found.run.id)

    @property
    def workflow_running(self) -> bool:
        """Whether a workflow run is going on."""
        worker = self._workflow_worker
        return worker is not None and not worker.is_finished

    async def action_workflow_run(self) -> None:
        """Ask for FILE.py:NAME, then for its input as JSON, and start it."""
        from ramify.tui.agent_loader import AgentSpecError, load_target_spec
        from ramify.tui.workflow_loader import workflow_source

        def asked_input(workflow: Workflow, source: str, text: str | None) -> None:
            if text is None:
                return
            try:
                value = parse_workflow_input(text)
            except WorkflowInputError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.start_workflow(workflow, value, source)

        def asked_spec(spec: str | None) -> None:
            if spec is None:
                return
            try:
                target = load_target_spec(spec)
            except AgentSpecError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            if not isinstance(target, Workflow):
                self.notify(f"{spec} is an agent, not a workflow", severity="error", markup=False)
                return
            self.push_screen(
                PromptScreen(f"Input for workflow {target.name} (JSON)", "{}"),
                lambda text: asked_input(target, workflow_source(spec), text),
            )

        self.push_screen(
            PromptScreen("Run which workflow?", placeholder="path/to/file.py:NAME"), asked_spec
        )

    def action_workflow_view(self) -> None:
        """Show or hide the workflow board (focused when shown)."""
        view = self.query_one(WorkflowView)
        if view.workflow is None:
            self.notify("No workflow yet: run one from the palette (Run workflow…).", timeout=4)
            return
        view.toggle_class("-hidden")
        if not view.has_class("-hidden"):
            view.focus()

    # --- cancelling ---------------------------------------------------------------------------

    def cancel_workflow_here(self) -> bool:
        """Esc: cancel the running workflow if the focus is on it (its board or a task's
        pane), or if no other run streams. True when it did."""
        worker = self._workflow_worker
        if worker is None or worker.is_finished:
            return False
        focused = self.focused
        ours = not self.inquiries
        while focused is not None and not ours:
            if isinstance(focused, WorkflowView):
                ours = True
            elif isinstance(focused, StreamPane):
                ours = focused.key.startswith("wf:")
                break
            focused = focused.parent  # type: ignore[assignment]
        if ours:
            worker.cancel()
            self.notify("Workflow cancelled; finished tasks are kept.", timeout=3)
        return ours

    async def cancel_workflow_and_wait(self) -> None:
        """Cancel the running workflow and wait (briefly) until it has recorded its end."""
        worker = self._workflow_worker
        if worker is not None and not worker.is_finished:
            worker.cancel()
            # `wait` raises WorkerCancelled, which is the outcome asked for; a run that takes
            # longer to record its end is left to the runtime's own shutdown.
            with contextlib.suppress(WorkerCancelled, WorkerFailed, TimeoutError):
                await asyncio.wait_for(worker.wait(), timeout=5)

    # --- the run ------------------------------------------------------------------------------

    @work(group="workflow", exit_on_error=False)
    async def _run_workflow(
        self,
        controller: SessionController,
        workflow: Workflow,
        value: dict[str, Any],
        source: str,
    ) -> None:
        session = controller.session
        branch: list[str] = []

        async def start(watch: WorkflowWatcher) -> WorkflowResult:
            branch.append(await session.free_branch_name(f"workflow-{workflow.name}"))
            return await run_workflow(
                workflow, value, session=session, branch=branch[0], source=source, watcher=watch
            )

        await self._watched_run(start, lambda: branch[0] if branch else None)

    @work(group="workflow", exit_on_error=False)
    async def _resume_workflow_run(
        self, controller: SessionController, workflow: Workflow, run: str
    ) -> None:
        from ramify.core.workflow import resume_workflow

        session = controller.session

        async def start(watch: WorkflowWatcher) -> WorkflowResult:
            return await resume_workflow(session, workflow, run, watcher=watch)

        await self._watched_run(start, lambda: None)

    async def _watched_run(
        self,
        start: Callable[[WorkflowWatcher], Awaitable[WorkflowResult]],
        branch: Callable[[], str | None],
    ) -> None:
        """Run `start(watcher)`, its tasks streamed to panes and told to the board, and post
        how it ended (never touches a widget). `branch()`: where it runs, once known."""
        panes: dict[tuple[str, str], tuple[str, StreamFeed]] = {}

        def close(key: tuple[str, str], status: MessageStatus) -> None:
            pane = panes.pop(key, None)
            if pane is not None:
                self.post_message(StreamClosed(pane[0], status))

        def watch(event: TaskEvent | TaskTokens) -> None:
            key = (event.state, event.task)
            if isinstance(event, TaskTokens):
                pane = panes.get(key)
                if pane is not None:
                    pane[1].put(event.text)
                return
            if event.status is TaskStatus.RUNNING:
                close(key, MessageStatus.ERROR)  # a retry: the failed attempt's pane ends
                feed = StreamFeed()
                panes[key] = (f"wf:{event.run_id}", feed)
                alias = f"{event.state}/{event.task}"
                self.post_message(StreamOpened(panes[key][0], WORKFLOW_RUN_KEY, alias, None, feed))
            elif event.status in _PANE_STATUS:
                close(key, _PANE_STATUS[event.status])
            self.post_message(WorkflowTaskChanged(event))

        try:
            result = await start(watch)
        except asyncio.CancelledError:
            for key in list(panes):
                close(key, MessageStatus.CANCELLED)
            self.post_message(WorkflowEnded("cancelled", branch()))
            raise
        except WorkflowWaiting as waiting:
            stopped = None if waiting.result is None else waiting.result.branch
            self.post_message(WorkflowEnded("waiting", stopped or branch()))
            return
        except StillWaiting as refused:
            self.post_message(WorkflowEnded("waiting", branch(), str(refused)))
            return
        except WorkflowError as error:
            ended = error.result.branch if isinstance(error.result, WorkflowResult) else None
            self.post_message(WorkflowEnded("failed", ended or branch(), one_line(error)))
            return
        except Exception as error:  # the user's task code: reported, never a traceback
            self.post_message(WorkflowEnded("failed", branch(), one_line(error)))
            return
        self.post_message(WorkflowEnded("done", result.branch))

    def on_workflow_task_changed(self, event: WorkflowTaskChanged) -> None:
        task = event.event
        status = task.status.value
        if task.status is TaskStatus.WAITING and task.node is not None:
            status = "breakpoint"  # waiting at its interrupt node, not for its inputs
        self.query_one(WorkflowView).update_task(task.state, task.task, status, task.node)

    async def on_workflow_ended(self, event: WorkflowEnded) -> None:
        view = self.query_one(WorkflowView)
        view.finish(event.outcome)
        if event.error:
            failed = "Workflow failed: " if event.outcome == "failed" else ""
            self.notify(f"{failed}{event.error}", severity="error", markup=False)
        controller = self._need()
        if controller is None:
            return
        await controller.refresh()
        # No branch when the run stopped before writing its input (a definition error).
        if event.branch is not None and event.branch in controller.heads:
            await self.switch_branch(event.branch)
        await self._catch_up(tree=True)
        if event.outcome == "waiting":
            self.offer_interrupt()  # the breakpoint's question, as for an agent's run

    async def on_workflow_view_task_chosen(self, event: WorkflowView.TaskChosen) -> None:
        if event.node is None:
            self.notify(f"{event.state}/{event.task} has no output yet.", timeout=3, markup=False)
            return
        await self.jump_to(event.node)
