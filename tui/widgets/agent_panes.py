"""The live panes of every agent streaming right now, side by side, or stacked when narrow."""

from __future__ import annotations

from textual import events
from textual.containers import HorizontalGroup
from textual.message import Message
from textual.widget import AwaitMount, Widget

from ramify.tui.stream_feed import StreamFeed
from ramify.tui.view_models import MessageStatus, ToolCallView
from ramify.tui.widgets.stream_pane import StreamPane
from ramify.tui.widgets.tool_call_line import ToolCallLine, ToolCallPane

MIN_PANE_WIDTH = 30
"""Columns a pane needs side by side; with less each, the panes stack one above the other."""


class AgentPanes(HorizontalGroup):
    """Holds one `StreamPane` per streaming message; parallel sub-agents show at once.

    Side by side while each pane gets `MIN_PANE_WIDTH` columns; below that they stack (class
    `-stacked`), each a compact header and two lines, so three team members fit 80x24.

    Panes are addressed by a caller-chosen key (a run id). When a pane finishes, its
    `StreamPane.Finished` bubbles on to the app (which settles the reply into the transcript) and
    the pane is removed here, so the container only ever holds live streams.

    Args:
        remove_finished: remove a pane once it has finished (True in the app).
    """

    DEFAULT_CSS = """
    AgentPanes { height: auto; max-height: 50%; }
    AgentPanes.-empty { display: none; }
    AgentPanes > StreamPane { width: 1fr; }
    AgentPanes.-stacked { layout: vertical; overflow-y: auto; }
    AgentPanes.-stacked > StreamPane { border: none; border-left: outer $secondary; }
    AgentPanes.-stacked > StreamPane.-error { border-left: outer $error; }
    AgentPanes.-stacked > StreamPane.-cancelled { border-left: outer $warning; }
    AgentPanes.-stacked > StreamPane.-done { border-left: outer $success; }
    AgentPanes.-stacked LiveTail { max-height: 2; }
    """

    class Settled(Message):
        """A finished pane was removed; all of its text went out in `StreamPane.Finished`."""

        def __init__(self, key: str, status: MessageStatus) -> None:
            super().__init__()
            self.key = key
            self.status = status

    def __init__(
        self, *, remove_finished: bool = True, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.remove_finished = remove_finished
        self._panes: dict[str, StreamPane] = {}
        self._mounting: dict[str, AwaitMount] = {}

    def on_mount(self) -> None:
        self.set_class(not self._panes, "-empty")

    def on_resize(self, event: events.Resize) -> None:
        self._restack()

    def _restack(self) -> None:
        width = self.size.width
        if not width and isinstance(self.parent, Widget):  # still hidden: it will get this
            width = self.parent.content_size.width
        self.set_class(len(self._panes) * MIN_PANE_WIDTH > width, "-stacked")

    async def open_pane(
        self,
        key: str,
        agent_alias: str,
        model: str | None = None,
        *,
        feed: StreamFeed | None = None,
        output_price: float | None = None,
        tool_call: ToolCallView | None = None,
    ) -> StreamPane:
        """Mount a new live pane for `key`, reading its text from `feed` if given.

        `output_price` (dollars per million output tokens) makes the header show a cost; with
        `tool_call` the pane is a `ToolCallPane`, the call's line and its status.
        """
        if key in self._panes:
            raise ValueError(f"a pane for {key!r} is already open")
        pane: StreamPane
        if tool_call is not None:
            pane = ToolCallPane(tool_call, agent_alias, key=key, feed=feed)
        else:
            pane = StreamPane(agent_alias, model, key=key, feed=feed, output_price=output_price)
        self._panes[key] = pane
        self.set_class(False, "-empty")
        self._restack()
        # Not awaited here: eight panes opening at once held the app's queue (and the keys in
        # it) ~30 ms each. Text waits in the pane until it shows; `finish` awaits the mount.
        self._mounting[key] = self.mount(pane)
        return pane

    def pane(self, key: str) -> StreamPane:
        """The live pane for `key` (KeyError when none is open)."""
        return self._panes[key]

    def tool_line(self, call_id: str) -> ToolCallLine | None:
        """The live line of tool call `call_id`, while its pane is open (None otherwise): the
        hook an approval uses to show a call `ToolStatus.WAITING` (`ToolCallLine.set_status`)."""
        for pane in self._panes.values():
            if isinstance(pane, ToolCallPane) and pane.line.call.call_id == call_id:
                return pane.line
        return None

    @property
    def keys(self) -> list[str]:
        """Keys of the open panes, oldest first."""
        return list(self._panes)

    def add_tokens(self, key: str, text: str, tokens: int = 1) -> None:
        """Route a delta to the pane for `key`."""
        self._panes[key].add_tokens(text, tokens)

    async def finish(self, key: str, status: MessageStatus = MessageStatus.DONE) -> None:
        """Finish the pane for `key`; it posts `StreamPane.Finished` with the whole text."""
        mounting = self._mounting.pop(key, None)
        if mounting is not None:
            await mounting
        await self._panes[key].finish(status)

    async def on_stream_pane_finished(self, event: StreamPane.Finished) -> None:
        # Let the event keep bubbling: the app settles the reply; we only tidy up.
        key = event.pane.key
        if not self.remove_finished or self._panes.get(key) is not event.pane:
            return
        del self._panes[key]
        event.pane.remove()  # not awaited, for the same reason as the mount
        self.set_class(not self._panes, "-empty")
        self._restack()
        self.post_message(self.Settled(key, event.status))
