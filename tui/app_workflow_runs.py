"""The IDE's workflow actions: resume the workflow run of the selected node, and rerun the
selected task (and what follows it) on a new branch.

`WorkflowRunActions` is a mixin of `RamifyApp` implementing the registry's
`workflow.resume` and `workflow.rerun_task`. A resume runs on the workflow board, as one
reopening a session starts (`WorkflowActions.resume_workflow_at`). A rerun runs in a worker
that only posts `WorkflowFinished`; the handler checks the branch out and refreshes. The
definition is loaded from the file the run recorded (`workflow_loader`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.message import Message

from ramify.tui.sanitize import one_line, snippet
from ramify.tui.screens import PromptScreen

if TYPE_CHECKING:
    from ramify.core.workflow import WorkflowResult
    from ramify.tui.controller import SessionController

    _AppBase = App[int]
else:
    _AppBase = object

RERUN_TASK_QUESTION = "Rerun the task and what follows it on branch:"


class WorkflowFinished(Message):
    """A resume or task rerun ended: on `branch`, or with `error` (one line)."""

    def __init__(self, branch: str | None, error: str | None) -> None:
        super().__init__()
        self.branch = branch
        self.error = error


class WorkflowRunActions(_AppBase):
    """Resume and rerun-task for `RamifyApp` (see the module docstring)."""

    controller: SessionController | None

    if TYPE_CHECKING:  # provided by RamifyApp

        def _need(self) -> SessionController | None: ...
        async def _catch_up(self, *, tree: bool = False) -> None: ...
        def resume_workflow_at(self, controller: SessionController, node: str) -> None: ...

    async def action_workflow_resume(self) -> None:
        """Resume the selected node's workflow run on the board (as reopening does)."""
        controller = self._need()
        node = controller.selected_hash if controller else None
        if controller is None or node is None:
            return
        self.resume_workflow_at(controller, node)

    async def action_workflow_rerun_task(self) -> None:
        controller = self._need()
        node = controller.selected_hash if controller else None
        if controller is None or node is None:
            return
        from ramify.tui.workflow_loader import rerun_task_at

        session = controller.session
        proposal = await controller.free_branch_name("rerun")

        def named(branch: str | None) -> None:
            if branch is not None:
                self._workflow_job(lambda: rerun_task_at(session, node, branch))

        self.push_screen(PromptScreen(RERUN_TASK_QUESTION, default=proposal), named)

    @work(group="workflow", exit_on_error=False)
    async def _workflow_job(self, start: Callable[[], Awaitable[WorkflowResult]]) -> None:
        """Run a resume or rerun; post where it ended (never touches a widget)."""
        try:
            result = await start()
        except Exception as error:
            self.post_message(WorkflowFinished(None, one_line(error)))
            return
        self.post_message(WorkflowFinished(result.branch, None))

    async def on_workflow_finished(self, event: WorkflowFinished) -> None:
        controller = self.controller
        if event.error is not None:
            self.notify(event.error, severity="error", timeout=8, markup=False)
        if controller is None or event.branch is None:
            return
        await controller.checkout(event.branch)
        await self._catch_up(tree=True)
        self.notify(f"Workflow done on {snippet(event.branch, 40)}.", timeout=4, markup=False)
