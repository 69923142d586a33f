"""`RecentMessages`: the messages a `Session` wrote lately, kept to be read back from memory.

A reply is written once and then read straight back to be shown: by the transcript, the tree
pane's labels, the next catch-up. Each store read rebuilds the message from its JSON and hashes
it again to catch rows altered outside Ramify, which for a 20 MB reply costs ~0.2 s of CPU and
another copy of its text every time. The object that was written needs no such check: its hash
is the key it was stored under, and messages never change.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from .messages import Message

__all__ = ["RecentMessages"]


class RecentMessages:
    """Messages by hash, newest kept; the oldest go once there are more than `count` of them or
    their text exceeds `chars` in all (the newest always stays).

    Args:
        count: how many messages to keep at most.
        chars: how many characters of text to keep at most, over all messages.
    """

    def __init__(self, *, count: int = 64, chars: int = 64_000_000) -> None:
        self._count = count
        self._chars = chars
        self._held = 0
        self._entries: OrderedDict[str, Message] = OrderedDict()

    def add(self, message: Message) -> None:
        """Keep `message` (just written) as the newest entry."""
        key = message.hash_key
        if key in self._entries:
            self._entries.move_to_end(key)
            return
        self._entries[key] = message
        self._held += len(message.text)
        while len(self._entries) > 1 and (
            len(self._entries) > self._count or self._held > self._chars
        ):
            _, dropped = self._entries.popitem(last=False)
            self._held -= len(dropped.text)

    def found(self, hashes: Iterable[str]) -> dict[str, Message]:
        """Those of `hashes` kept here."""
        entries = self._entries
        return {key: entries[key] for key in hashes if key in entries}
