"""The live panes of every agent streaming right now, side by side."""

from __future__ import annotations

from textual.containers import HorizontalGroup
from textual.message import Message
from textual.widget import AwaitMount

from ramify.tui.stream_feed import StreamFeed
from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets.stream_pane import StreamPane


class AgentPanes(HorizontalGroup):
    """Holds one `StreamPane` per streaming message; parallel sub-agents show at once.

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

    async def open_pane(
        self,
        key: str,
        agent_alias: str,
        model: str | None = None,
        *,
        feed: StreamFeed | None = None,
    ) -> StreamPane:
        """Mount a new live pane for `key`, reading its text from `feed` if given."""
        if key in self._panes:
            raise ValueError(f"a pane for {key!r} is already open")
        pane = StreamPane(agent_alias, model, key=key, feed=feed)
        self._panes[key] = pane
        self.set_class(False, "-empty")
        # Not awaited here: eight panes opening at once held the app's queue (and the keys in
        # it) ~30 ms each. Text waits in the pane until it shows; `finish` awaits the mount.
        self._mounting[key] = self.mount(pane)
        return pane

    def pane(self, key: str) -> StreamPane:
        """The live pane for `key` (KeyError when none is open)."""
        return self._panes[key]

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
        self.post_message(self.Settled(key, event.status))
