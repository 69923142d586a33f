"""Messages workers post to the app. Workers never touch widgets; handlers on the app do.

Each stream is addressed by a pane key, `"<run key>/<n>"` for the n-th message of a run; its
text goes through a `StreamFeed`, not through messages.
"""

from __future__ import annotations

from textual.message import Message

from ramify.core.recording import RecordedReplies
from ramify.tui.controller import SessionController
from ramify.tui.stream_feed import StreamFeed
from ramify.tui.view_models import MessageStatus, ToolCallView


class SessionReady(Message):
    """The store is open and the session loaded (or opening failed with `error`)."""

    def __init__(self, controller: SessionController | None, error: str | None = None) -> None:
        super().__init__()
        self.controller = controller
        self.error = error


class BackgroundChanged(Message):
    """A background job (following a remote run) wrote to the session; `notice`, when set,
    is its closing line for the user (the job ended)."""

    def __init__(self, notice: str | None = None, *, ended: bool = False) -> None:
        super().__init__()
        self.notice = notice
        self.ended = ended


class StreamOpened(Message):
    """A reply message started streaming; its text arrives through `feed`.

    `output_price` is dollars per million output tokens, when the config knows it;
    `tool_call` is the call whose result this is, when it is a tool result.
    """

    def __init__(
        self,
        key: str,
        run_key: str,
        agent_alias: str,
        model: str | None,
        feed: StreamFeed,
        output_price: float | None = None,
        tool_call: ToolCallView | None = None,
    ) -> None:
        super().__init__()
        self.key = key
        self.run_key = run_key
        self.agent_alias = agent_alias
        self.model = model
        self.feed = feed
        self.output_price = output_price
        self.tool_call = tool_call


class ToolReexecuted(Message):
    """A re-executed tool call ended: its result is on `branch` (None if it did not run, with
    `error` saying why); `same` when it is the very result it had before."""

    def __init__(self, branch: str | None, error: str | None = None, *, same: bool = False) -> None:
        super().__init__()
        self.branch = branch
        self.error = error
        self.same = same


class StreamClosed(Message):
    """Stream `key` ended with `status`; `notice` is a warning to show about it, if any."""

    def __init__(self, key: str, status: MessageStatus, notice: str | None = None) -> None:
        super().__init__()
        self.key = key
        self.status = status
        self.notice = notice


class InquiryDone(Message):
    """Every reply of run `run_key` is in the tree; `error` says what went wrong, if anything.

    Posted with `started=True` as soon as the run exists (the user's message is in the tree by
    then), and again when it has finished, then with its `replies` (where they landed).
    """

    def __init__(
        self,
        run_key: str,
        branch: str,
        error: str | None = None,
        *,
        started: bool = False,
        replies: RecordedReplies | None = None,
    ) -> None:
        super().__init__()
        self.run_key = run_key
        self.branch = branch
        self.error = error
        self.started = started
        self.replies = replies


class ReplayReveal(Message):
    """A replay reached path index `count`: show the first `count` messages."""

    def __init__(self, count: int, *, finished: bool = False) -> None:
        super().__init__()
        self.count = count
        self.finished = finished


class StoreChanged(Message):
    """Another process committed to the store (its change counter moved)."""
