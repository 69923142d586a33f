"""How a tree reads as a document: chains of nodes ("threads"), one section each.

The centred branch is the first thread, from its root to its head. Every other branch head
adds the chain from that head up to the first node already placed; nodes no branch reaches
(old heads after an undo, forward sources) form unnamed threads. Sections follow each other
depth first: a thread, then the threads that fork off it, top to bottom.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..tree import Node
from .display import inline_code

__all__ = ["Layout", "Thread", "build_layout"]

_SLUG_JUNK = re.compile(r"[^a-z0-9_-]+")


@dataclass
class Thread:
    """A chain of nodes shown as one section.

    Attributes:
        name: the branch whose head ends (or named) this chain; None if no branch does.
        anchor: the section's HTML id.
        label: how the section is named in headings and links (markdown).
        nodes: the chain, oldest first.
        fork_parent: the node this chain continues from, in another thread (None at a root).
    """

    name: str | None
    anchor: str
    label: str
    nodes: list[Node] = field(default_factory=list)
    fork_parent: str | None = None


@dataclass
class Layout:
    """Threads in document order, and what is shown after each node."""

    threads: list[Thread]
    thread_of: dict[str, Thread]
    # Node hash -> threads that continue from it (the alternatives at a branch point).
    forks_at: dict[str, list[Thread]]
    # Node hash -> branches whose head is this node but which do not name its thread.
    heads_at: dict[str, list[str]]


def _sort_key(node: Node) -> tuple[float, str]:
    return (node.created_at or 0.0, node.hash_key)


def build_layout(
    nodes: Mapping[str, Node],
    refs: Mapping[str, str],
    focus: str | None,
    *,
    anchor_prefix: str = "",
) -> Layout:
    """Split `nodes` (closed under parents) into threads; `focus` names the first one, and
    every section anchor starts with `anchor_prefix`."""
    children: dict[str, list[Node]] = {}
    for node in nodes.values():
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node)
    placed: dict[str, Thread] = {}
    threads: list[Thread] = []
    heads_at: dict[str, list[str]] = {}
    anchors: set[str] = set()
    unnamed = 0

    def new_thread(name: str | None, head: str) -> None:
        nonlocal unnamed
        chain: list[Node] = []
        key: str | None = head
        while key is not None and key not in placed:
            chain.append(nodes[key])
            key = chain[-1].parent
        chain.reverse()
        if name is None:
            unnamed += 1
            anchor = _unique(f"{anchor_prefix}unnamed-{unnamed}", anchors)
            label = f"unnamed branch {unnamed}"
        else:
            slug = _SLUG_JUNK.sub("-", name.lower()).strip("-") or "x"
            anchor = _unique(f"{anchor_prefix}branch-{slug}", anchors)
            label = inline_code(name)
        thread = Thread(name, anchor, label, chain, key)
        threads.append(thread)
        for node in chain:
            placed[node.hash_key] = thread

    names = sorted(name for name, head in refs.items() if head in nodes)
    if focus in names:
        names.remove(focus)
        names.insert(0, focus)
    for name in names:
        head = refs[name]
        if head in placed:
            heads_at.setdefault(head, []).append(name)
        else:
            new_thread(name, head)
    loose = [
        node
        for key, node in nodes.items()
        if key not in placed and all(child.hash_key in placed for child in children.get(key, ()))
    ]
    for node in sorted(loose, key=_sort_key):
        new_thread(None, node.hash_key)

    forks_at: dict[str, list[Thread]] = {}
    for thread in threads:
        if thread.fork_parent is not None:
            forks_at.setdefault(thread.fork_parent, []).append(thread)
    for forks in forks_at.values():
        forks.sort(key=lambda thread: _sort_key(thread.nodes[0]))
    roots = [thread for thread in threads if thread.fork_parent is None]
    ordered = list(_depth_first(roots, forks_at))
    return Layout(ordered, placed, forks_at, heads_at)


def _unique(anchor: str, taken: set[str]) -> str:
    candidate = anchor
    number = 2
    while candidate in taken:
        candidate = f"{anchor}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _depth_first(roots: list[Thread], forks_at: Mapping[str, list[Thread]]) -> Iterator[Thread]:
    # An explicit stack: a deep tree of forks would overflow Python's recursion limit.
    stack: list[Iterator[Thread]] = [iter(roots)]
    while stack:
        thread = next(stack[-1], None)
        if thread is None:
            stack.pop()
            continue
        yield thread
        stack.append(
            iter([fork for node in thread.nodes for fork in forks_at.get(node.hash_key, ())])
        )
