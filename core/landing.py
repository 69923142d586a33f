"""Where a recorded run's replies land in the tree (see `recording`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .messages import Message
from .tree import Node

if TYPE_CHECKING:
    from .recording import RecordedReplies
    from .session import Session

__all__ = ["Landing"]


class Landing:
    """Where a run's next reply goes: under its input node, then under its previous reply.

    On the branch asked for while that branch still ends there; once it moved on (another
    run or writer added to it), on a new branch, so replies never interleave with someone
    else's. For a rerun (`fresh`), replies identical to recorded ones are those nodes, and
    the new branch is made at the first one that differs.
    """

    __slots__ = ("fresh", "made", "parent", "replies", "session", "wanted")

    def __init__(
        self, session: Session, replies: RecordedReplies, parent: str | None, *, fresh: bool
    ) -> None:
        self.session = session
        self.replies = replies
        self.parent = parent
        self.fresh = fresh
        self.made = False
        # A fresh branch is named on the replies only once it exists.
        self.wanted = replies.branch if fresh else ""
        if fresh:
            replies.branch = ""

    @property
    def branch(self) -> str:
        return self.replies.moved_to or self.replies.branch

    async def keep(self, message: Message, sender: str, run_id: str) -> Node:
        session, replies = self.session, self.replies
        if self.fresh and not self.made:
            same = await self._recorded_child(message, sender)
            if same is not None:
                self.parent = same.hash_key
                return same
            if not replies.branch:
                replies.branch = self.wanted or await session.free_branch_name("rerun")
        while True:
            node = await session.append_under(
                message, self.parent, branch=self.branch, sender=sender, run_id=run_id
            )
            if node is not None:
                break
            if self.fresh and not self.made:
                # The name asked for was taken meanwhile: the nearest free one keeps its stem.
                replies.branch = await session.free_branch_name(self.wanted or "rerun")
            else:
                replies.moved_to = await session.free_branch_name(f"{replies.branch}-moved")
        self.made = True
        self.parent = node.hash_key
        return node

    async def recover(self, message: Message, sender: str, run_id: str) -> Node | None:
        """After a failed write: the reply on a branch of its own, if it can be written."""
        try:
            name = await self.session.free_branch_name("recovered")
            node = await self.session.append_under(
                message, self.parent, branch=name, sender=sender, run_id=run_id
            )
        except Exception:
            return None
        if node is not None:
            self.replies.moved_to = name
            self.made = True
            self.parent = node.hash_key
        return node

    async def _recorded_child(self, message: Message, sender: str) -> Node | None:
        if self.parent is None:
            return None
        for child in await self.session.children(self.parent):
            same = child.message == message.hash_key and child.sender == sender
            if same and child.forwarded_from is None:
                return child
        return None
