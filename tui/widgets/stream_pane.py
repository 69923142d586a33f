"""One live pane per streaming message: a header and a Markdown body fed on a timer."""

from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Markdown, Static

from ramify.tui.sanitize import sanitize
from ramify.tui.view_models import MessageStatus, PaneState

FLUSH_INTERVAL = 0.05
"""Seconds between `Markdown.append()` calls; research/env.md measured 50 ms as the sweet spot."""

LIVE_BLOCKS = 12
"""Most Markdown blocks a streaming pane keeps; older ones scroll out (the reply is whole in
`text`, and in the transcript once it settles). Every mounted block costs layout time in every
frame: with 8 agents streaming 2,000 tokens each, unbounded panes made frames ~40% slower."""

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
    """A streaming reply: deltas are buffered and appended to a `Markdown` every 50 ms.

    Per-token `append()` is ~50x slower and per-token `update()` hopeless (research/env.md §2),
    so tokens only go into a buffer; a timer flushes it, and `finish()` re-parses once.

    Args:
        agent_alias: the agent producing the reply.
        model: the model name, if known.
        key: the caller's identifier for this pane (e.g. a run id).
    """

    DEFAULT_CSS = """
    StreamPane {
        height: auto;
        max-height: 20;
        border: round $secondary;
        padding: 0 1;
    }
    StreamPane.-error { border: round $error; }
    StreamPane.-cancelled { border: round $warning; }
    StreamPane.-done { border: round $success; }
    StreamPane > .stream-pane--header { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    StreamPane > VerticalScroll { height: auto; max-height: 18; }
    StreamPane Markdown { margin: 0; padding: 0; }
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
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.key = key
        self._alias = agent_alias
        self._model = model
        self._pending: list[str] = []
        self._chunks: list[str] = []
        self._tokens = 0
        self._first_token_at: float | None = None
        self._last_token_at: float | None = None
        self._status = MessageStatus.STREAMING
        self._timer: Timer | None = None
        # The final update() must not interleave with an append() still in flight.
        self._body_lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static(pane_header(self.state), classes="stream-pane--header")
        with VerticalScroll():
            yield Markdown()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).anchor()
        self._timer = self.set_interval(FLUSH_INTERVAL, self._flush)

    @property
    def markdown(self) -> Markdown:
        """The body widget."""
        return self.query_one(Markdown)

    @property
    def text(self) -> str:
        """Everything received so far (sanitised)."""
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
        now = time.monotonic()
        if self._first_token_at is None:
            self._first_token_at = now
        self._last_token_at = now
        self._tokens += tokens
        clean = sanitize(text)
        self._chunks.append(clean)
        self._pending.append(clean)

    async def _flush(self) -> None:
        if self._body_lock.locked():
            return  # the previous flush is still appending; this tick's text waits for the next
        async with self._body_lock:
            if self._status is not MessageStatus.STREAMING:
                return
            if self._pending:
                fragment = "".join(self._pending)
                self._pending.clear()
                await self.markdown.append(fragment)
                blocks = self.markdown.children
                if len(blocks) > LIVE_BLOCKS:
                    await self.markdown.remove_children(list(blocks)[:-LIVE_BLOCKS])
            self._refresh_header()

    def _refresh_header(self) -> None:
        self.query_one(".stream-pane--header", Static).update(pane_header(self.state))

    async def finish(
        self, status: MessageStatus = MessageStatus.DONE, *, reparse: bool = True
    ) -> None:
        """End the stream: one full `update()` (re-parses fences cleanly), then `Finished`.

        Args:
            reparse: False when the pane is removed at once, so the re-parse would be wasted
                (for a long reply it blocks the app for a few hundred ms).
        """
        if self._status is not MessageStatus.STREAMING:
            return
        if status is MessageStatus.STREAMING:
            raise ValueError("finish() needs a final status")
        self._status = status
        if self._timer is not None:
            self._timer.stop()
        self._pending.clear()
        text = self.text
        # oterm#308 / Textual#6518: a streamed fence can lose its body later; one re-parse fixes it.
        if reparse:
            async with self._body_lock:
                await self.markdown.update(text)
        self.set_class(True, f"-{status.value}")
        self._refresh_header()
        self.post_message(self.Finished(self, text, status))
