"""`PathCache`: the few most recent root-to-node paths, with their messages, kept in memory.

An agent run reads its whole branch as history. Re-reading 10,000 nodes and messages from the
store for every reply costs ~200 ms (mostly building the pydantic messages again), where the
branch only grew by a node or two since the last run. A node's hash chains over its parent's,
so the path to a node can never change: an entry is never stale and nothing has to invalidate
it. A new head reuses the cached path of its nearest cached ancestor and reads only the nodes
below it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from .messages import Message
from .promising import SharedMessagePromise
from .store.base import Store
from .tree import Node

__all__ = ["EMPTY_PATH", "CachedPath", "PathCache"]


class CachedPath(NamedTuple):
    """The nodes from the root down to a node, the message of each, and each message as a
    resolved promise (what an agent run there is sent), in order."""

    nodes: tuple[Node, ...]
    messages: tuple[Message, ...]
    promises: tuple[SharedMessagePromise, ...]


EMPTY_PATH = CachedPath((), (), ())


class PathCache:
    """Paths by the hash of their last node; least recently used entries are dropped.

    Args:
        store: where nodes and messages are read from on a miss.
        size: how many paths to keep (each shares its node and message objects with the rest).
        reach: how many nodes above a head are read one by one looking for a cached ancestor
            before the whole path is read in one query instead.
    """

    def __init__(self, store: Store, *, size: int = 4, reach: int = 64) -> None:
        self._store = store
        self._size = size
        self._reach = reach
        self._entries: OrderedDict[str, CachedPath] = OrderedDict()

    async def get(self, head: Node) -> CachedPath:
        """The path from the root down to `head` (included), with its messages."""
        found = self._entries.get(head.hash_key)
        if found is not None:
            self._entries.move_to_end(head.hash_key)
            return found
        below: list[Node] = []
        base: CachedPath | None = None
        current: Node | None = head
        while current is not None:
            base = self._entries.get(current.hash_key)
            if base is not None:
                break
            if len(below) == self._reach:
                break
            below.append(current)
            if current.parent is None:
                base = EMPTY_PATH
                break
            current = await self._store.get_node(current.parent)
        if base is None:
            nodes = await self._store.path(head.hash_key)
            path = _extended(EMPTY_PATH, nodes, await self._messages(nodes))
        else:
            below.reverse()
            path = _extended(base, below, await self._messages(below))
        self._entries[head.hash_key] = path
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return path

    async def _messages(self, nodes: list[Node]) -> list[Message]:
        found = await self._store.get_messages([node.message for node in nodes])
        return [found[node.message] for node in nodes]


def _extended(base: CachedPath, nodes: list[Node], messages: list[Message]) -> CachedPath:
    # Building a promise per message happens once per node for as long as the path is
    # cached, not on every run: handing 10,000 fresh ones to each agent cost ~20 ms.
    promises = tuple(SharedMessagePromise.from_message(message) for message in messages)
    return CachedPath(
        base.nodes + tuple(nodes), base.messages + tuple(messages), base.promises + promises
    )
