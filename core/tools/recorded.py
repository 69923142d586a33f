"""Finding tool results the tree already holds, so a call that ran once is never run again
implicitly: not when a run reaches the same assistant node again (a rerun that asked the same),
nor when it continues a branch where another branch answered the call (a re-executed result's
sibling branch missing the later results)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from ..errors import NotFound
from ..messages import Message
from ..tree import Node
from .messages import ToolCall, ToolResultMessage

__all__ = ["ReplyTip", "recorded_results"]

# Result chains are short (one node per call); this bounds a walk through a damaged or huge tree.
_MAX_VISITED = 2000


class ReplyTip:
    """The node an agent's next reply will land under, followed reply by reply (a node's hash
    is its message, parent and sender, so it is known before the store has it)."""

    def __init__(self, start: str | None, sender: str) -> None:
        self.hash = start
        self._sender = sender

    def follow(self, message: Message) -> None:
        """Step past `message`, the reply just given."""
        if self.hash is not None:
            self.hash = Node(
                message=message.hash_key, parent=self.hash, sender=self._sender
            ).hash_key


async def _node_of(session: Any, tip: str, message: Message, limit: int) -> str | None:
    """The hash of the node carrying `message` at or above `tip`, looking `limit` nodes up."""
    at: str | None = tip
    for _ in range(limit):
        if at is None:
            return None
        node = await session.resolve(at)
        if node.message == message.hash_key:
            return at
        at = node.parent
    return None


async def recorded_results(
    session: Any, tip: str | None, asked: Message, calls: Sequence[ToolCall]
) -> dict[str, ToolResultMessage]:
    """Results already in `session` for `calls` of the assistant message `asked`, by call id.

    The assistant node is found at or above `tip` (it is the tip, or results of its other calls
    lie between); then the result chains under it are searched. None of it exists outside a
    session, or before anything was stored: then nothing is found.
    """
    if session is None or tip is None or not calls:
        return {}
    wanted = {call.id for call in calls}
    found: dict[str, ToolResultMessage] = {}
    try:
        # Results, and interrupts with their answers, may lie between the tip and the asking node.
        start = await _node_of(session, tip, asked, 4 * len(calls) + len(wanted) + 8)
        if start is None:
            return {}
        queue = deque([start])
        visited = 0
        while queue and len(found) < len(wanted) and visited < _MAX_VISITED:
            children = await session.children(queue.popleft())
            visited += len(children)
            for child in children:
                message = await session.message(child)
                if not isinstance(message, ToolResultMessage):
                    continue
                if message.call_id in wanted and message.call_id not in found:
                    found[message.call_id] = message
                queue.append(child.hash_key)
    except NotFound:
        return found
    return found
