"""A tool call on one line (name, short arguments, status), and the live pane that holds it.

While a call runs, the agent's pane for its result is a `ToolCallPane`: instead of the
result's streaming text it shows one `ToolCallLine` whose status moves from running to done,
failed or cancelled; a click expands it to the full arguments and the result. Everything the
model or the tool wrote is shown literally (`sanitize`, `literal`), never as markup.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.events import Click
from textual.reactive import reactive
from textual.widget import Widget

from ramify.tui.sanitize import literal, sanitize
from ramify.tui.stream_feed import StreamFeed
from ramify.tui.view_models import MessageStatus, ToolCallView, ToolStatus
from ramify.tui.widgets.live_tail import LiveTail
from ramify.tui.widgets.message_view import TOOL_STATUS_MARKS, preview
from ramify.tui.widgets.stream_pane import PaneHeader, StreamPane, duration

_PANE_TO_TOOL = {
    MessageStatus.DONE: ToolStatus.DONE,
    MessageStatus.ERROR: ToolStatus.FAILED,
    MessageStatus.CANCELLED: ToolStatus.CANCELLED,
}


def tool_call_text(
    call: ToolCallView, status: ToolStatus, result: str | None, *, expanded: bool
) -> RenderableType:
    """``▸ name(short args)  ✓ done``; expanded, the full arguments and the result below it."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("▾ " if expanded else "▸ ", style="bold")
    line.append(sanitize(call.short()), style="bold cyan")
    glyph, style = TOOL_STATUS_MARKS[status]
    line.append("  ")
    line.append(f"{glyph} {status.value}", style=style)
    if not expanded:
        return line
    parts: list[RenderableType] = [line, Text("arguments", style="dim"), literal(call.full())]
    if result is not None:
        parts += [Text("result", style="dim"), literal(preview(result))]
    return Group(*parts)


class ToolCallLine(Widget):
    """One tool call, collapsed to a line; a click shows its full arguments and result.

    `set_status` is the public hook that moves it on: the IDE sets running, done, failed or
    cancelled; an approval layer may set `ToolStatus.WAITING` while a call waits for a yes.

    Args:
        call: the call's name and argument text.
        status: where the call stands now.
        result: the result's text, once there is one.
    """

    DEFAULT_CSS = """
    ToolCallLine { height: auto; }
    """

    #: Whether the full arguments and result show.
    expanded: reactive[bool] = reactive(False, init=False, layout=True)

    def __init__(
        self,
        call: ToolCallView,
        status: ToolStatus = ToolStatus.RUNNING,
        result: str | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.call = call
        self._status = status
        self._result = result

    @property
    def status(self) -> ToolStatus:
        """Where the call stands: running, waiting for approval, done, failed or cancelled."""
        return self._status

    @property
    def result(self) -> str | None:
        """The result's text (None until the call has one)."""
        return self._result

    def set_status(self, status: ToolStatus, result: str | None = None) -> None:
        """Show the call as `status`, with `result` when given (a repaint, and a layout when
        expanded, since the result's lines change its height)."""
        self._status = status
        if result is not None:
            self._result = result
        self.refresh(layout=self.expanded)

    def on_click(self, event: Click) -> None:
        event.stop()
        self.expanded = not self.expanded

    def render(self) -> RenderableType:
        return tool_call_text(self.call, self._status, self._result, expanded=self.expanded)


class ToolPaneHeader(PaneHeader):
    """`alias  tool  12s`: a tool streams no tokens, so no rate, count or `connecting…`."""

    def render(self) -> Text:
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(sanitize(self.state.agent_alias), style="bold")
        header.append("  tool  ", style="italic")
        header.append(duration(self.state.elapsed), style="dim")
        return header


class ToolCallPane(StreamPane):
    """The live pane of a tool result: the pane's header over a `ToolCallLine`.

    The result's text still arrives through the feed (and settles into the transcript from the
    session, as every reply does); it is kept hidden and shown as the line's result once the
    call ends.

    Args:
        call: the call whose result this pane waits for.
        agent_alias, key, feed: as for `StreamPane`.
    """

    DEFAULT_CSS = """
    ToolCallPane LiveTail { display: none; }
    """

    def __init__(
        self,
        call: ToolCallView,
        agent_alias: str,
        *,
        key: str = "",
        feed: StreamFeed | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(agent_alias, "tool", key=key, feed=feed, id=id)
        self._header = ToolPaneHeader(self.state, classes="stream-pane--header")
        self._line = ToolCallLine(call)

    def compose(self) -> ComposeResult:
        yield self.header
        yield self._line
        yield LiveTail()

    @property
    def line(self) -> ToolCallLine:
        """The call's line."""
        return self._line

    async def finish(self, status: MessageStatus = MessageStatus.DONE) -> None:
        """Settle the line (done, failed or cancelled, with the result), then end the pane."""
        if self.status is MessageStatus.STREAMING and status in _PANE_TO_TOOL:
            self._line.set_status(_PANE_TO_TOOL[status], self.text)
        await super().finish(status)
