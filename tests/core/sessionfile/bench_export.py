"""How long exporting a 10,000-node session takes (the target is at most one second).

Run: ``python -m tests.core.sessionfile.bench_export [nodes]``. It builds a tree on a real
SQLite file (a new branch every 20 nodes, forking from a random earlier node) and on a
`MemoryStore`, then times `export_markdown(scope="tree")` and the import of the result.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from ramify.core import (
    AssistantMessage,
    MemoryStore,
    Message,
    Node,
    Session,
    SQLiteStore,
    Store,
    UserMessage,
)


async def build_tree(store: Store, count: int, *, seed: int = 7) -> Session:
    """A session of `count` nodes: chains of 20 messages, each forking off an earlier node."""
    rng = random.Random(seed)
    session = await Session.create(store, title=f"{count} nodes", session_id=f"bench-{count}")
    nodes: list[Node] = []
    messages: list[Message] = []
    heads: dict[str, str] = {}
    parent: str | None = None
    branch = "main"
    for index in range(count):
        if index and index % 20 == 0:
            parent = rng.choice(nodes).hash_key
            branch = f"branch-{index // 20}"
        text = f"message {index}: " + "lorem ipsum dolor sit amet " * rng.randint(1, 12)
        message: Message = (
            UserMessage(text=text) if index % 2 == 0 else AssistantMessage(text=text, model="m")
        )
        node = Node(
            message=message.hash_key,
            parent=parent,
            sender="USER" if index % 2 == 0 else "BOT",
            created_at=1_700_000_000.0 + index,
        )
        messages.append(message)
        nodes.append(node)
        heads[branch] = node.hash_key
        parent = node.hash_key
    await store.put_nodes(nodes, messages, session_id=session.id)
    for name, head in heads.items():
        await store.move_ref(session.id, name, head, expected=None, reason="bench")
    return session


async def measure(store: Store, count: int) -> tuple[float, float, int]:
    """Seconds to export the tree, seconds to import it into a fresh MemoryStore, and bytes."""
    session = await build_tree(store, count)
    started = time.perf_counter()
    text = await session.export_markdown("tree")
    exported = time.perf_counter() - started
    started = time.perf_counter()
    async with MemoryStore() as target:
        await Session.import_markdown(target, text)
    imported = time.perf_counter() - started
    return exported, imported, len(text.encode())


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with SQLiteStore(Path(folder) / "bench.db") as sqlite:
            exported, imported, size = await measure(sqlite, count)
            print(f"SQLiteStore: export {exported:.3f} s, import {imported:.3f} s, {size} bytes")
    async with MemoryStore() as memory:
        exported, imported, size = await measure(memory, count)
        print(f"MemoryStore: export {exported:.3f} s, import {imported:.3f} s, {size} bytes")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
