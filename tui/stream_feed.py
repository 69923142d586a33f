"""`StreamFeed`: how a streaming reply's text gets from a worker to its pane."""

from __future__ import annotations

__all__ = ["StreamFeed"]


class StreamFeed:
    """Text a reply streamed that its pane has not taken yet.

    The worker reading the reply puts chunks in and the pane's flush timer takes them out:
    plain data on the event loop, so workers still never touch widgets, and the app's message
    queue carries no per-chunk events (with 8 agents streaming, keys waited behind thousands).
    """

    __slots__ = ("_chunks", "_tokens")

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._tokens = 0

    def put(self, text: str, tokens: int = 1) -> None:
        """Add a chunk that joined `tokens` tokens."""
        self._chunks.append(text)
        self._tokens += tokens

    def take(self) -> tuple[str, int]:
        """Everything put since the last take, joined, and how many tokens it held."""
        if not self._chunks:
            return "", 0
        text, tokens = "".join(self._chunks), self._tokens
        self._chunks.clear()
        self._tokens = 0
        return text, tokens
