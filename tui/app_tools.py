"""Tool actions of `RamifyApp`: re-execute the selected tool call, show a call whole.

Re-executing is the one way a recorded call runs again (replay, fork and rerun read results
from their nodes). It goes through the session (`tool_calls.reexecute_tool`), runs in a worker
that only posts messages, and shows live as a `ToolCallPane` like any call of a run; a
destructive or open-world tool asks first (`ConfirmScreen`), and a no runs nothing.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from textual import work

from ramify.tui.events import StreamClosed, StreamOpened, ToolReexecuted
from ramify.tui.sanitize import one_line, snippet
from ramify.tui.screens.confirm import ConfirmScreen
from ramify.tui.stream_feed import StreamFeed
from ramify.tui.tool_calls import ToolRerun, reexecute_tool, tool_rerun_of
from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets.message_view import MessageWidget

if TYPE_CHECKING:
    from textual.app import App

    from ramify.tui.controller import SessionController

    _AppBase = App[int]
else:
    _AppBase = object

REEXECUTE_RUN = "reexecute"
"""The run key of a re-execution's pane (no run of the session: Esc does not cancel it)."""

_pane_numbers = itertools.count(1)


class ToolActions(_AppBase):
    """Re-execute and expand tool calls, for `RamifyApp` (see the module docstring)."""

    controller: SessionController | None

    if TYPE_CHECKING:  # provided by RamifyApp

        def _need(self) -> SessionController | None: ...
        async def _show_path(self, *, reset: bool = False) -> None: ...
        async def _rebuild_tree(self) -> None: ...
        def _autosave_soon(self) -> None: ...

    async def action_tool_reexecute(self) -> None:
        controller = self._need()
        if controller is None:
            return
        try:
            rerun = await tool_rerun_of(controller)
        except ValueError as error:
            self.notify(one_line(error), severity="warning", markup=False)
            return
        if not rerun.effects:
            self._reexecute(controller, rerun, confirm=False)
            return
        question = (
            f"Re-execute {snippet(rerun.call.short(), 60)}? The tool {snippet(rerun.call.name)} "
            f"is {rerun.effects}: running it again may change the world again."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._reexecute(controller, rerun, confirm=True)

        self.push_screen(ConfirmScreen(question, confirm="Re-execute"), answered)

    @work(group="tools", exit_on_error=False)
    async def _reexecute(
        self, controller: SessionController, rerun: ToolRerun, *, confirm: bool
    ) -> None:
        """Run the call again, live in a pane of its own; then say where the result is."""
        key = f"{REEXECUTE_RUN}/{next(_pane_numbers)}"
        feed = StreamFeed()
        self.post_message(
            StreamOpened(key, REEXECUTE_RUN, rerun.sender, "tool", feed, tool_call=rerun.call)
        )
        status = MessageStatus.ERROR
        try:
            done = await reexecute_tool(controller, rerun, confirm=confirm)
        except Exception as error:
            self.post_message(ToolReexecuted(None, one_line(error)))
        else:
            feed.put(done.text, 1)
            status = MessageStatus.ERROR if done.failed else MessageStatus.DONE
            self.post_message(ToolReexecuted(done.branch, same=done.same))
        finally:
            self.post_message(StreamClosed(key, status))

    async def on_tool_reexecuted(self, event: ToolReexecuted) -> None:
        if event.branch is None:
            self.notify(f"Not re-executed: {event.error}", severity="error", markup=False)
            return
        branch = snippet(event.branch, 40)
        if event.same:
            said = f"Re-executed: the same result as before; branch {branch} points at it."
        else:
            said = f"Re-executed: the new result is on branch {branch}, beside the old one."
        self.notify(said, markup=False)
        await self._show_path(reset=True)
        await self._rebuild_tree()
        self._autosave_soon()

    def action_tool_details(self) -> None:
        """Expand or collapse the selected message's tool calls and result."""
        controller = self._need()
        node = controller.selected_hash if controller else None
        for widget in self.query(MessageWidget):
            if widget.node_hash == node and widget.view.has_tool_details:
                widget.expanded = not widget.expanded
                return
        self.notify("The selected message has no tool call or result.", timeout=3)
