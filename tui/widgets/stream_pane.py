"""One live pane per streaming message: a header and the reply's last lines, fed on a timer."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from ramify.tui.sanitize import sanitize
from ramify.tui.stream_feed import StreamFeed
from ramify.tui.view_models import MessageStatus, PaneState
from ramify.tui.widgets.live_tail import LiveTail

FLUSH_INTERVAL = 0.05
"""Seconds between repaints of a streaming pane; research/env.md measured 50 ms as the sweet
spot (per-token updates cost ~50x more for no visible gain)."""

_STATUS_STYLE = {
    MessageStatus.STREAMING: "bold cyan",
    MessageStatus.DONE: "bold green",
    MessageStatus.ERROR: "bold red",
    MessageStatus.CANCELLED: "bold yellow",
}


def pane_header(state: PaneState) -> Text:
    """`alias  model  123 tok  45.6 tok/s  streaming`, built from literal `Text` parts."""
    header = Text(no_wrap=True, overflow="ellipsis")
    header.append(sanitize(state.agent_alias), style="bold")
    if state.model:
        header.append("  ")
        header.append(sanitize(state.model), style="italic")
    header.append(f"  {state.tokens} tok  {state.tokens_per_second:.1f} tok/s  ")
    header.append(state.status.value, style=_STATUS_STYLE[state.status])
    return header


class StreamPane(Vertical):
    """A streaming reply: its header figures and its last lines, repainted every 50 ms.

    Text comes from a `StreamFeed` (filled by a worker) or `add_tokens()`, and reaches the
    screen on the next timer tick. The pane shows the reply's tail as literal text
    (`LiveTail`); the whole reply settles into the transcript, as Markdown, once it ends.

    Args:
        agent_alias: the agent producing the reply.
        model: the model name, if known.
        key: the caller's identifier for this pane (e.g. a run id).
        feed: where a worker puts the reply's text for this pane to take.
    """

    DEFAULT_CSS = """
    StreamPane {
        height: auto;
        border: round $secondary;
        padding: 0 1;
    }
    StreamPane.-error { border: round $error; }
    StreamPane.-cancelled { border: round $warning; }
    StreamPane.-done { border: round $success; }
    StreamPane > .stream-pane--header { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    class Finished(Message):
        """The stream ended; `text` is the whole (sanitised) reply."""

        def __init__(self, pane: StreamPane, text: str, status: MessageStatus) -> None:
            super().__init__()
            self.pane = pane
            self.text = text
            self.status = status

        @property
        def control(self) -> StreamPane:
            return self.pane

    def __init__(
        self,
        agent_alias: str,
        model: str | None = None,
        *,
        key: str = "",
        feed: StreamFeed | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.key = key
        self._alias = agent_alias
        self._model = model
        self._feed = feed
        self._pending: list[str] = []
        self._chunks: list[str] = []
        self._tokens = 0
        self._first_token_at: float | None = None
        self._last_token_at: float | None = None
        self._status = MessageStatus.STREAMING
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(pane_header(self.state), classes="stream-pane--header")
        yield LiveTail()

    def on_mount(self) -> None:
        self._timer = self.set_interval(FLUSH_INTERVAL, self._flush)

    @property
    def body(self) -> LiveTail:
        """The widget showing the reply's last lines."""
        return self.query_one(LiveTail)

    @property
    def text(self) -> str:
        """Everything received so far (sanitised)."""
        self._take_feed()
        return "".join(self._chunks)

    @property
    def status(self) -> MessageStatus:
        """streaming, done, error or cancelled."""
        return self._status

    @property
    def state(self) -> PaneState:
        """The header's current figures."""
        rate = 0.0
        if self._first_token_at is not None and self._last_token_at is not None:
            elapsed = self._last_token_at - self._first_token_at
            rate = self._tokens / elapsed if elapsed > 0 else 0.0
        return PaneState(self._alias, self._model, self._tokens, rate, self._status)

    def add_tokens(self, text: str, tokens: int = 1) -> None:
        """Buffer a delta; it reaches the screen on the next timer tick, not now."""
        if self._status is not MessageStatus.STREAMING:
            raise RuntimeError(f"pane {self.key!r} already finished ({self._status.value})")
        self._received(text, tokens)

    def _received(self, text: str, tokens: int) -> None:
        if not text:
            return
        now = time.monotonic()
        if self._first_token_at is None:
            self._first_token_at = now
        self._last_token_at = now
        self._tokens += tokens
        clean = sanitize(text)
        self._chunks.append(clean)
        self._pending.append(clean)

    def _take_feed(self) -> None:
        if self._feed is not None and self._status is MessageStatus.STREAMING:
            text, tokens = self._feed.take()
            self._received(text, tokens)

    def _flush(self) -> None:
        if self._status is not MessageStatus.STREAMING:
            return
        self._take_feed()
        if not self._pending:
            return
        fragment = "".join(self._pending)
        self._pending.clear()
        self.body.append(fragment)
        self._refresh_header()

    def _refresh_header(self) -> None:
        header = self.query_one(".stream-pane--header", Static)
        header.update(pane_header(self.state), layout=False)  # one line, whatever it says

    async def finish(self, status: MessageStatus = MessageStatus.DONE) -> None:
        """End the stream (taking what the feed still holds); then post `Finished`."""
        if self._status is not MessageStatus.STREAMING:
            return
        if status is MessageStatus.STREAMING:
            raise ValueError("finish() needs a final status")
        self._take_feed()
        self._status = status
        if self._timer is not None:
            self._timer.stop()
        if self._pending:
            self.body.append("".join(self._pending))
            self._pending.clear()
        text = "".join(self._chunks)
        self.set_class(True, f"-{status.value}")
        self._refresh_header()
        self.post_message(self.Finished(self, text, status))
