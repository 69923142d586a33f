"""Node rows read back from SQLite, each re-hashed against the hash it is stored under.

A node's hash covers its message, parent, sender and forward source, so a row whose fields were
altered outside Ramify (a changed sender, a re-pointed parent) no longer rebuilds to its hash.
Such a row reads as a stand-in under the same hash, so its children and the branch heads that
name it still lead somewhere: its parent and forward source as the row has them (when they are
hashes at all), and as message an `ErrorMessage` naming the node, the reason and the message the
row claims. Stand-in messages exist only in memory; `NodeRows.stand_in` serves them to the
store's message reads. Provenance outside the hash (`run_id`, `created_at`) of the wrong type
reads as None. Each damaged row is logged (logger ``ramify.store``).

A path is walked by the rows' parent row numbers, an index that is not covered by any hash;
`NodeRows.linked_from` tells where that walk left the hash chain, so the store can follow the
parent hash instead. A stand-in's own parent hash is suspect, so it stays where that walk put it.
"""

from __future__ import annotations

import hashlib
import json.encoder
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

from ..messages import ErrorMessage, Message
from ..tree import Node, is_full_hash
from .base import node_from_row
from .damage import damaged_node_message, report_damage

__all__ = ["NodeRows", "node_hash"]

_NODE_DOCUMENT = '{"$type":"Node","forwarded_from":%s,"message":%s,"parent":%s,"sender":%s}'
# How `frozen`'s canonical encoder (``ensure_ascii=False``) writes a str; raises on anything else.
_encode_text: Callable[[Any], str] = json.encoder.encode_basestring


class NodeRows:
    """Checks node rows as they are read, and keeps the stand-in messages of damaged ones."""

    def __init__(self) -> None:
        self._stand_ins: dict[str, ErrorMessage] = {}

    def node(self, row: Sequence[Any]) -> Node:
        """The node stored as ``(hash, message, parent, sender, forwarded_from, run_id,
        created_at)``, or its stand-in when the row does not rebuild to its hash."""
        try:
            rebuilt = node_hash(row[1:5])
        except (TypeError, ValueError) as error:
            return self._stand_in(row, f"its fields cannot be hashed ({type(error).__name__})")
        if rebuilt != row[0]:
            return self._stand_in(row, f"its fields now hash to {rebuilt}")
        run_id, created_at = row[5], row[6]
        if not (run_id is None or type(run_id) is str) or not (
            created_at is None or type(created_at) in (float, int)
        ):
            report_damage("node", row[0], "its run id or creation time is not one; ignored")
            return node_from_row((*row[:5], _or_none(run_id, str), _or_none(created_at, float)))
        return node_from_row(row)

    def nodes(self, rows: Sequence[Sequence[Any]]) -> list[Node]:
        """`node` of each row, in order."""
        return [self.node(row) for row in rows]

    def stand_in(self, key: str) -> Message | None:
        """The stand-in message hashed `key`, if a damaged node row was read as one."""
        return self._stand_ins.get(key)

    @property
    def has_stand_ins(self) -> bool:
        """Whether any damaged node row was read yet."""
        return bool(self._stand_ins)

    def is_stand_in(self, node: Node) -> bool:
        """Whether `node` stands in for a damaged row."""
        return node.message in self._stand_ins

    def under(self, node: Node, parent: str | None) -> Node:
        """A stand-in as a child of `parent`, where the row's parent row number puts it: its
        parent hash is suspect (the row failed its hash), and that index is not."""
        if node.parent == parent or not self.is_stand_in(node):
            return node
        fields = {**node.__dict__, "parent": parent}
        return Node.from_stored_fields(fields, node.hash_key)

    def relinked(self, path: list[Node]) -> list[Node]:
        """`path` (root first, as walked by parent row numbers) with each stand-in under the node
        the walk found above it."""
        if not self._stand_ins or not path:
            return path
        return [path[0], *(self.under(node, above.hash_key) for above, node in pairwise(path))]

    @staticmethod
    def linked_from(path: Sequence[Node]) -> int:
        """Where the longest tail of `path` (root-most first) in which each node's parent is
        the node before it starts."""
        index = len(path) - 1
        while index > 0 and path[index].parent == path[index - 1].hash_key:
            index -= 1
        return max(index, 0)

    def _stand_in(self, row: Sequence[Any], reason: str) -> Node:
        key, message, parent, sender, forwarded_from, run_id, created_at = row
        claimed = f"; it names message {message}" if isinstance(message, str) else ""
        placeholder = damaged_node_message(key, reason + claimed)
        self._stand_ins[placeholder.hash_key] = placeholder
        fields = (
            placeholder.hash_key,
            _hash_or_none(parent),
            sender if type(sender) is str else str(sender),
            _hash_or_none(forwarded_from),
            _or_none(run_id, str),
            _or_none(created_at, float),
        )
        return node_from_row((key, *fields))


def node_hash(fields: Sequence[Any]) -> str:
    """The hash of a node with ``(message, parent, sender, forwarded_from)`` as stored.

    `canonical_json` of a `Node` spelled out for its four hashed fields (keys sorted, compact,
    each text JSON-encoded, so no stored text can pose as structure; anything but text or None
    raises `TypeError`); a test pins the two equal. Building the node and going through
    `canonical_json` costs three times as much, and every node of every path read is
    re-hashed.
    """
    message, parent, sender, forwarded_from = fields
    encode = _encode_text
    # `_text` spelled out: every node placed or read is hashed, and the calls cost a fifth.
    document = _NODE_DOCUMENT % (
        "null" if forwarded_from is None else encode(forwarded_from),
        "null" if message is None else encode(message),
        "null" if parent is None else encode(parent),
        "null" if sender is None else encode(sender),
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _hash_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and is_full_hash(value) else None


def _or_none(value: Any, kind: type) -> Any:
    if kind is float and type(value) is int:
        return float(value)
    return value if type(value) is kind else None
