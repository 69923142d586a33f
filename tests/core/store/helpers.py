"""Small builders shared by the store tests."""

from __future__ import annotations

from ramify.core import Message, Node, Store, UserMessage


async def add(
    store: Store,
    text: str,
    parent: Node | None = None,
    *,
    sender: str = "USER",
    session_id: str | None = None,
) -> Node:
    """Store a user message as a node under `parent` and return the node."""
    message: Message = UserMessage(text=text)
    node = Node(
        message=message.hash_key,
        parent=None if parent is None else parent.hash_key,
        sender=sender,
    )
    await store.put_node(node, message, session_id=session_id)
    return node


async def chain(store: Store, texts: list[str], *, session_id: str | None = None) -> list[Node]:
    """Store a linear conversation and return its nodes, root first."""
    nodes: list[Node] = []
    for text in texts:
        nodes.append(await add(store, text, nodes[-1] if nodes else None, session_id=session_id))
    return nodes
