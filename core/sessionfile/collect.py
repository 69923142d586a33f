"""Read the part of a session an export shows out of its store, in a few queries.

A path is one `Store.path` query; a tree is the session's nodes (`Store.session_nodes`, one
query), plus whatever they hang from outside the session (a parent reached by hash, the
source of a forward), path by path. Messages come in one batch, runs in one listing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import BranchNotFound, RunNotFound
from ..runs import Run
from ..store.base import Store
from ..tree import Node
from .image import SCOPES, Scope, SessionImage

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["collect_image"]


async def collect_image(session: Session, scope: Scope, branch: str | None) -> SessionImage:
    """The nodes, messages, branches and runs of `session` that `scope` exports."""
    if scope not in SCOPES:
        raise ValueError(f"unknown export scope {scope!r}: use one of {', '.join(SCOPES)}")
    store = session.store
    heads = {ref.name: ref.head for ref in await store.list_refs(session.id)}
    focus: str | None = branch or session.active_branch
    if focus not in heads:
        if scope != "tree":
            raise BranchNotFound(f"session {session.id} has no branch {focus!r} to export")
        focus = min(heads) if heads else None
    nodes: dict[str, Node] = {}
    if scope == "path":
        if focus is not None:
            _add(nodes, await store.path(heads[focus]))
    else:
        _add(nodes, await store.session_nodes(session.id))
        await _add_missing_ancestors(store, nodes)
        if scope == "related" and focus is not None:
            nodes = _same_root(nodes, heads[focus])
    await _add_missing_ancestors(store, nodes)
    messages = await store.get_messages(list({node.message: None for node in nodes.values()}))
    record = session.record
    record.remembered_children = {
        point: child
        for point, child in record.remembered_children.items()
        if point in nodes and child in nodes
    }
    return SessionImage(
        record=record,
        nodes=nodes,
        messages=messages,
        refs={name: head for name, head in sorted(heads.items()) if head in nodes},
        runs=await _runs(session, nodes.values(), everything=scope == "tree"),
        scope=scope,
        branch=focus,
    )


def _add(nodes: dict[str, Node], path: Iterable[Node]) -> None:
    for node in path:
        nodes.setdefault(node.hash_key, node)


def _same_root(nodes: dict[str, Node], head: str) -> dict[str, Node]:
    roots: dict[str, str] = {}
    for key in nodes:
        chain = []
        current = key
        while current not in roots:
            parent = nodes[current].parent
            if parent is None:
                roots[current] = current
                break
            chain.append(current)
            current = parent
        for walked in chain:
            roots[walked] = roots[current]
    root = roots[head]
    return {key: node for key, node in nodes.items() if roots[key] == root}


async def _add_missing_ancestors(store: Store, nodes: dict[str, Node]) -> None:
    # A node's hash covers its parent and its forward source, so both (and their paths)
    # travel with it, even from outside the session.
    pending = [
        ref
        for node in nodes.values()
        for ref in (node.parent, node.forwarded_from)
        if ref is not None and ref not in nodes
    ]
    while pending:
        missing = pending.pop()
        if missing in nodes:
            continue
        path = await store.path(missing)
        _add(nodes, path)
        pending.extend(node.forwarded_from for node in path if node.forwarded_from is not None)


async def _runs(session: Session, nodes: Iterable[Node], *, everything: bool) -> list[Run]:
    runs = await session.runs()
    wanted = {node.run_id for node in nodes if node.run_id is not None}
    if not everything:
        # The runs that made these nodes, and the sub-agent runs they started.
        kept = {run.id for run in runs if run.id in wanted}
        grew = True
        while grew:
            grew = False
            for run in runs:
                if run.id not in kept and run.parent_run_id in kept:
                    kept.add(run.id)
                    grew = True
        runs = [run for run in runs if run.id in kept]
    known = {run.id for run in runs}
    for run_id in sorted(wanted - known):
        # A node first recorded by a run of another session.
        try:
            runs.append(await session.store.get_run(run_id))
        except RunNotFound:
            continue
    return runs
