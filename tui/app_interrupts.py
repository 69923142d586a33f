"""The IDE's approvals and breakpoints: show a waiting run's interrupt, answer it, and set
breakpoints.

`InterruptActions` is a mixin of `RamifyApp`: its `action_*` methods implement the registry's
``interrupt.answer`` and ``breakpoint.add`` ids. When a run ends waiting, and when a session
opens with a run waiting (after a restart too), the modal (`InterruptScreen`) comes up; the
answer goes to the session layer (`answer_interrupt`), which runs the agent on from the
interrupt in a run of its own. A tool loop and a plain model agent (the demo model, a
configured model) wait and go on alike. A workflow task's breakpoint is answered by
`answer_task_breakpoint` instead, with the definition the run recorded: the run continues
from the tree and the board follows it, as a run started here does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App

from ramify.tui.controller import SessionController
from ramify.tui.sanitize import one_line
from ramify.tui.screens import PromptScreen
from ramify.tui.screens.interrupt import InterruptChoice, InterruptScreen, InterruptView

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from textual.worker import Worker

    from ramify.core.recording import RecordedReplies
    from ramify.core.tools import InterruptMessage
    from ramify.core.workflow import Workflow, WorkflowResult, WorkflowWatcher

    _AppBase = App[int]
else:
    _AppBase = object


def parse_breakpoint(typed: str) -> tuple[str, str, str]:
    """``before|after [tool|agent|task|any] GLOB`` as (point, kind, pattern); the kind is
    ``any`` when left out. What is wrong is left to `InterruptSettings.add_breakpoint` to say."""
    point, _, rest = typed.strip().partition(" ")
    first, _, pattern = rest.strip().partition(" ")
    if first in ("tool", "agent", "task", "any") and pattern.strip():
        return point, first, pattern.strip()
    return point, "any", rest.strip()


def interrupt_view(node: str, message: InterruptMessage) -> InterruptView:
    """What the modal shows of the interrupt `message` at `node`."""
    if message.kind == "approval":
        title = f"The agent wants to run {message.target}: allow it?"
    else:
        title = f"Breakpoint {message.point} {message.target}"
    calls = tuple((call.name, call.arguments) for call in message.calls)
    return InterruptView(node, message.kind, title, calls, message.pending)


class InterruptActions(_AppBase):
    """Approvals and breakpoints for `RamifyApp` (see the module docstring)."""

    controller: SessionController | None
    board_workflow: Workflow | None = None  # `WorkflowActions` sets it

    if TYPE_CHECKING:

        def _drive(self, start: Callable[[], Awaitable[RecordedReplies]]) -> Any: ...

        # `WorkflowActions`: a continued workflow run is the board's, as any other.
        _workflow_worker: Worker[None] | None

        @property
        def workflow_running(self) -> bool: ...

        async def _watched_run(
            self,
            start: Callable[[WorkflowWatcher], Awaitable[WorkflowResult]],
            branch: Callable[[], str | None],
        ) -> None: ...

    def _composing(self) -> bool:
        """Whether the user is writing a message (the message box holds text)."""
        from ramify.tui.widgets import Composer

        found = self.query(Composer)
        return bool(found) and bool(found.first().text.strip())

    def _interrupt_shown(self) -> bool:
        return any(isinstance(screen, InterruptScreen) for screen in self.screen_stack)

    @work(group="interrupts", exclusive=True, exit_on_error=False)
    async def offer_interrupt(self, quiet: bool = True) -> None:
        """Show the oldest waiting interrupt of the session, if any and none is shown yet."""
        from ramify.core.tools import pending_interrupts

        controller = self.controller
        if controller is None or self._interrupt_shown():
            return
        waiting = await pending_interrupts(controller.session)
        if not waiting:
            if not quiet:
                self.notify("Nothing is waiting for an answer.", timeout=3)
            return
        node, message = waiting[0]
        if quiet and self._composing():
            # A modal now would take the next letters typed as answers ("a" allows always).
            self.notify("A run waits for your answer: Ctrl+G then w shows it.", timeout=8)
            return

        def answered(choice: InterruptChoice | None) -> None:
            if choice is not None:
                self._answer(controller, node, choice, message)

        self.push_screen(InterruptScreen(interrupt_view(node, message)), answered)

    def _answer(
        self,
        controller: SessionController,
        node: str,
        choice: InterruptChoice,
        message: InterruptMessage,
    ) -> None:
        from ramify.core.tools import answer_interrupt
        from ramify.core.workflow.breakpoints import KEY_PREFIX

        if message.key.startswith(KEY_PREFIX):
            shown = self.board_workflow
            name = message.target.split("/", 1)[0]
            known = shown if shown is not None and shown.name == name else None
            if self.workflow_running:
                self.notify(
                    "A workflow is running already; cancel it first (Esc), then w.",
                    severity="warning",
                )
                return
            # The board's worker, so Esc cancels the continued run like any other.
            self._workflow_worker = self._continue_workflow(controller, node, choice.edited, known)
            return

        async def start() -> RecordedReplies:
            stopped = await controller.session.resolve(node)
            agent = controller.session.known_agent(stopped.sender) or controller.target
            return await answer_interrupt(
                controller.session,
                node,
                choice.decision,  # type: ignore[arg-type]
                agent,
                edited=choice.edited,
            )

        self._drive(start)

    @work(group="workflow", exit_on_error=False)
    async def _continue_workflow(
        self,
        controller: SessionController,
        node: str,
        edited: str | None,
        known: Workflow | None,
    ) -> None:
        """Answer a workflow task's breakpoint with the definition `known` (the board's), else
        the one its run recorded, and run on as the board's runs do: tasks stream to panes,
        Esc cancels (never touches a widget)."""
        from ramify.core.workflow import answer_task_breakpoint
        from ramify.tui.app_workflows import StillWaiting, WorkflowEnded
        from ramify.tui.workflow_loader import recorded_workflow

        session = controller.session
        try:
            workflow = known or await recorded_workflow(session, node)
        except Exception as error:  # its file is gone or broken: the run still waits
            self.post_message(WorkflowEnded("waiting", None, one_line(error)))
            return

        async def start(watch: WorkflowWatcher) -> WorkflowResult:
            try:
                return await answer_task_breakpoint(
                    session, workflow, node, edited=edited, watcher=watch
                )
            except ValueError as error:  # a bad edit: nothing was written, the run still waits
                raise StillWaiting(one_line(error)) from None

        await self._watched_run(start, lambda: None)

    def action_interrupt_answer(self) -> None:
        """Show the waiting interrupt again (it was left with Esc)."""
        self.offer_interrupt(quiet=False)

    def action_breakpoint_add(self) -> None:
        """Ask for ``before|after [tool|agent|task] NAME``; set that breakpoint for this session."""
        controller = self.controller
        if controller is None:
            return

        def typed(answer: str | None) -> None:
            if answer is None:
                return
            from ramify.core.tools import interrupt_settings

            point, kind, pattern = parse_breakpoint(answer)
            try:
                added = interrupt_settings(controller.session).add_breakpoint(point, pattern, kind)
            except ValueError as error:
                self.notify(
                    f"{one_line(error)} (type e.g. 'before calc*' or 'after agent gpt-*')",
                    severity="error",
                )
                return
            self.notify(f"Breakpoint {added.describe()}", timeout=3, markup=False)

        self.push_screen(
            PromptScreen(
                "Breakpoint: before|after [tool|agent|task] a name or glob (all if left out)",
                placeholder="before calculator · after agent gpt-* · before task summarize",
            ),
            typed,
        )
