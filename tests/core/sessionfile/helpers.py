"""Small tools for reading and altering session files in tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ramify.core import Session, Store
from ramify.core.sessionfile.syntax import comment_json


def data_lines(text: str) -> list[int]:
    """Indexes of the metadata lines (the JSON objects) of an exported file."""
    lines = text.split("\n")
    start = next(index for index, line in enumerate(lines) if line.endswith(" data"))
    end = lines.index("-->", start)
    return list(range(start + 1, end))


def edit_metadata(text: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> str:
    """Apply `change` to every metadata object (return None to drop the line)."""
    lines = text.split("\n")
    kept = []
    wanted = set(data_lines(text))
    for index, line in enumerate(lines):
        if index in wanted:
            changed = change(json.loads(line))
            if changed is None:
                continue
            line = comment_json(changed)
        kept.append(line)
    return "\n".join(kept)


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the first line containing `needle`."""
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in the text")


async def snapshot(store: Store) -> tuple[int, list[str], int]:
    """What an import would change: node count, session ids and run count."""
    sessions = [record.id for record in await store.list_sessions()]
    return await store.count_nodes(), sessions, len(await store.list_runs())


async def tree_of(session: Session) -> tuple[set[str], dict[str, str], str]:
    """Node hashes, branch heads and the active branch of a session."""
    nodes = {node.hash_key for node in await session.store.session_nodes(session.id)}
    refs = {ref.name: ref.head for ref in await session.branches()}
    return nodes, refs, session.active_branch
