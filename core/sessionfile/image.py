"""`SessionImage`: everything a session file holds, whichever way it travels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from ..messages import Message
from ..runs import Run
from ..store.base import SessionRecord
from ..tree import Node

__all__ = ["SCOPES", "Scope", "SessionImage"]

Scope = Literal["path", "related", "tree"]
"""What an export holds: one branch's path, the tree that path belongs to, or everything."""

SCOPES: tuple[Scope, ...] = get_args(Scope)


@dataclass
class SessionImage:
    """A session, or part of one, outside any store: what export renders and import writes.

    Attributes:
        record: the session's metadata (id, title, active branch, remembered children).
        nodes: hash -> node; every parent and forward source is here too.
        messages: hash -> message, for every node.
        refs: branch name -> head hash, for the branches whose heads are in `nodes`.
        runs: the runs that produced these nodes, and the runs they started.
        scope: which part of the session this is.
        branch: the branch the export centred on (None for a tree without branches).
    """

    record: SessionRecord
    nodes: dict[str, Node]
    messages: dict[str, Message]
    refs: dict[str, str]
    runs: list[Run]
    scope: Scope
    branch: str | None
