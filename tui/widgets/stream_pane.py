"""One live pane per streaming message: a header and the reply's last lines, fed on a timer."""

from __future__ import annotations

import time

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget

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


def pane_header(state: PaneState, width: int | None = None) -> Text:
    """`alias  model  123 tok  45.6 tok/s  12s  ~$0.0012  streaming`, fitted to `width`.

    What does not fit goes in this order: the model, the status word (the border's colour says
    it too), the cost, the token count, the elapsed time; then the alias is shortened. The rate
    (or `connecting…` before the first token) always shows whole.
    """
    alias = sanitize(state.agent_alias)
    streaming = state.status is MessageStatus.STREAMING
    # (text, style, drop rank: higher goes first; 0 never goes)
    parts: list[tuple[str, str, int]] = []
    if state.model:
        parts.append((sanitize(state.model), "italic", 5))
    if state.tokens == 0 and streaming:
        parts.append(("connecting…", "italic cyan", 0))
    else:
        parts.append((f"{state.tokens} tok", "", 2))
        parts.append((f"{state.tokens_per_second:.1f} tok/s", "", 0))
    parts.append((duration(state.elapsed), "dim", 1))
    if state.cost is not None:
        parts.append((_cost(state.cost), "", 3))
    parts.append((state.status.value, _STATUS_STYLE[state.status], 4))
    if width is not None:
        while _width(alias, parts) > width and any(rank for _, _, rank in parts):
            dropped = max(parts, key=lambda part: part[2])
            parts.remove(dropped)
        spare = max(width - _width("", parts), 1)
        if cell_len(alias) > spare:
            alias = set_cell_size(alias, spare - 1) + "…" if spare > 1 else set_cell_size(alias, 1)
    header = Text(no_wrap=True, overflow="ellipsis")
    header.append(alias, style="bold")
    for text, style, _ in parts:
        header.append("  ")
        header.append(text, style=style)
    return header


def _width(alias: str, parts: list[tuple[str, str, int]]) -> int:
    return cell_len(alias) + sum(2 + cell_len(text) for text, _, _ in parts)


def _cost(dollars: float) -> str:
    """`~$0.0123`: an estimate, since the prompt's tokens are not known until the reply ends."""
    return "<$0.0001" if 0 < dollars < 0.0001 else f"~${dollars:.4f}"


def duration(seconds: float) -> str:
    """`7s`, `2m05s`: whole seconds, so the header changes at most once a second."""
    whole = int(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


class PaneHeader(Widget):
    """One line of a pane's figures, fitted to its width each time it is drawn."""

    DEFAULT_CSS = """
    PaneHeader { height: 1; }
    """

    def __init__(self, state: PaneState, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.state = state

    def show(self, state: PaneState) -> None:
        """Draw these figures (a repaint of one line, never a layout)."""
        self.state = state
        self.refresh()

    def render(self) -> Text:
        return pane_header(self.state, self.size.width)


class StreamPane(Vertical):
    """A streaming reply: its header figures and its last lines, repainted every 50 ms.

    Text comes from a `StreamFeed` (filled by a worker) or `add_tokens()`, and reaches the
    screen on the next timer tick. The pane shows the reply's tail as literal text
    (`LiveTail`); the whole reply settles into the transcript, as Markdown, once it ends. The
    same tick moves the header's elapsed time on while no token arrives.

    Args:
        agent_alias: the agent producing the reply.
        model: the model name, if known.
        key: the caller's identifier for this pane (e.g. a run id).
        feed: where a worker puts the reply's text for this pane to take.
        output_price: dollars per million output tokens, when known (the header shows a cost).
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
    """

    class Finished(Message):
        """The stream ended; `text` is the whole (sanitised) reply."""

        def __init__(self, pane: StreamPane, status: MessageStatus) -> None:
            super().__init__()
            self.pane = pane
            self.status = status

        @property
        def control(self) -> StreamPane:
            return self.pane

        @property
        def text(self) -> str:
            # Joined when asked, not when posted: the transcript settles the reply from the
            # session, and a 20 MB reply need not be copied once more for nobody.
            return self.pane.text

    def __init__(
        self,
        agent_alias: str,
        model: str | None = None,
        *,
        key: str = "",
        feed: StreamFeed | None = None,
        output_price: float | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.key = key
        self._alias = agent_alias
        self._model = model
        self._feed = feed
        self._output_price = output_price
        self._opened_at = time.monotonic()
        self._finished_at: float | None = None
        self._pending: list[str] = []
        self._chunks: list[str] = []
        self._tokens = 0
        self._first_token_at: float | None = None
        self._last_token_at: float | None = None
        self._status = MessageStatus.STREAMING
        self._timer: Timer | None = None
        self._header = PaneHeader(self.state, classes="stream-pane--header")

    def compose(self) -> ComposeResult:
        yield self._header
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
        if len(self._chunks) > 1:
            self._chunks[:] = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

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
        end = self._finished_at if self._finished_at is not None else time.monotonic()
        cost = None
        if self._output_price is not None:  # dollars per million tokens
            cost = self._tokens * self._output_price / 1_000_000
        return PaneState(
            self._alias,
            self._model,
            self._tokens,
            rate,
            self._status,
            elapsed=end - self._opened_at,
            cost=cost,
        )

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
        if self._pending:
            fragment = "".join(self._pending)
            self._pending.clear()
            self.body.append(fragment)
            self._refresh_header()
        elif duration(self.state.elapsed) != duration(self.header.state.elapsed):
            self._refresh_header()  # no token for a while: the clock still moves

    @property
    def header(self) -> PaneHeader:
        """The line of figures above the text."""
        return self._header

    def _refresh_header(self) -> None:
        self.header.show(self.state)

    async def finish(self, status: MessageStatus = MessageStatus.DONE) -> None:
        """End the stream (taking what the feed still holds); then post `Finished`."""
        if self._status is not MessageStatus.STREAMING:
            return
        if status is MessageStatus.STREAMING:
            raise ValueError("finish() needs a final status")
        self._take_feed()
        self._status = status
        self._finished_at = time.monotonic()
        if self._timer is not None:
            self._timer.stop()
        if self._pending:
            self.body.append("".join(self._pending))
            self._pending.clear()
        self.set_class(True, f"-{status.value}")
        self._refresh_header()
        self.post_message(self.Finished(self, status))
