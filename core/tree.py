"""The conversation tree: nodes (like git commits), branch heads and their reflog."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from .frozen import Frozen

__all__ = ["USER", "Node", "Ref", "ReflogEntry", "is_full_hash"]

USER = "USER"
"""The sender of nodes a person wrote."""

_HEX = frozenset("0123456789abcdef")


def is_full_hash(value: str) -> bool:
    """Whether `value` is a full 64-hex sha256 (lowercase), as stored."""
    return len(value) == 64 and _HEX.issuperset(value)


class Node(Frozen):
    """A message's place in a tree. Its hash chains over its parent, like a git commit.

    ``run_id`` and ``created_at`` are provenance, not identity: the same message under the same
    parent from the same sender is one node, whichever run produced it and when.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    type_tag: ClassVar[str] = "Node"

    message: str
    parent: str | None = None
    sender: str = USER
    forwarded_from: str | None = None
    run_id: str | None = Field(default=None, exclude=True)
    created_at: float | None = Field(default=None, exclude=True)

    def model_post_init(self, context: Any, /) -> None:
        for name in ("message", "parent", "forwarded_from"):
            value = getattr(self, name)
            if value is not None and not is_full_hash(value):
                raise ValueError(f"Node.{name} must be a full 64-hex hash, got {value!r}")


class Ref(BaseModel):
    """A branch head: ``(session_id, name) -> node hash``."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    name: str
    head: str


class ReflogEntry(BaseModel):
    """One move of a branch head; the history that makes undo possible."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    name: str
    old: str | None
    new: str
    reason: str
    at: float
