"""Hand-written conversations: the seed's markdown history format, as a linear session."""

from __future__ import annotations

import time
import uuid

from ..agents.history import parse_markdown_history
from ..store.base import SessionRecord
from ..tree import USER, Node
from .errors import SessionFileError
from .image import SessionImage

__all__ = ["parse_plain_markdown"]


def parse_plain_markdown(text: str) -> SessionImage:
    """Messages under role headings (``# user``, ``assistant / model`` + ``===`` ...) as one
    branch, ``main``, of a new session; people are `USER`, other roles send as themselves."""
    messages = parse_markdown_history(text)
    if not messages:
        raise SessionFileError(
            "no messages found: start each message with a heading naming its role "
            "(`# user`, `# assistant`, `# system`, or `# assistant / model`)",
            line=1,
        )
    now = time.time()
    nodes: dict[str, Node] = {}
    parent: str | None = None
    for message in messages:
        sender = USER if message.role == "user" else message.role or "assistant"
        node = Node(message=message.hash_key, parent=parent, sender=sender, created_at=now)
        nodes[node.hash_key] = node
        parent = node.hash_key
    assert parent is not None
    return SessionImage(
        record=SessionRecord(id=uuid.uuid4().hex, created_at=now, updated_at=now),
        nodes=nodes,
        messages={message.hash_key: message for message in messages},
        refs={"main": parent},
        runs=[],
        scope="path",
        branch="main",
    )
