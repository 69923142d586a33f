"""Copying sessions from one store to another, losslessly and idempotently.

`copy_store(src, dst)` writes each session of `src` into `dst` as it is: the same node and
message hashes (content addressing makes them identical), the session's membership, its
branch heads, its reflog (entries, order and times), its runs, its record and the digests of
the files it was imported from. Nodes outside the session that it still points to (a forward's
source, a deleted branch's head in the reflog, a run's input) come along, outside the session.

Copying again changes nothing, and a copy into a store that already holds an earlier copy
merges without duplicates: a reflog entry is only appended when the destination lacks it, and
a branch moves only where the destination's history of it is a part of the source's (it is
behind). A branch that moved in both stores since (diverged) keeps the destination's head, and
the source's head is put on a new branch ``<name>-copy-N`` (`SessionCopy.diverged`), so
neither side's work is lost. Of two session records, the more recently updated is kept.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import NodeNotFound, RefConflict, SessionNotFound
from ..tree import Node, ReflogEntry
from .base import Store

__all__ = ["SessionCopy", "copy_session", "copy_store", "select_sessions"]

COPY_REASON = "copy of"
"""Reflog reason prefix of a branch made for a diverged source head: ``copy of main``."""


@dataclass
class SessionCopy:
    """What copying one session did."""

    session_id: str
    title: str
    nodes: int = 0
    """Nodes new to the destination store."""
    moved: list[str] = field(default_factory=list)
    """Branches the copy created, moved or removed in the destination."""
    diverged: dict[str, str] = field(default_factory=dict)
    """Branch -> the new branch holding the source's head, where both stores moved it."""
    reflog_entries: int = 0
    """Reflog entries appended."""


async def select_sessions(src: Store, wanted: Sequence[str] | None) -> list[str]:
    """Ids of `src`'s sessions to copy, oldest update first: all, or those `wanted` names by
    id or unique id prefix. Raises `SessionNotFound` with the offending name."""
    records = list(reversed(await src.list_sessions()))
    if wanted is None:
        return [record.id for record in records]
    chosen: list[str] = []
    for name in wanted:
        exact = [record.id for record in records if record.id == name]
        matches = exact or [record.id for record in records if record.id.startswith(name)]
        if len(matches) != 1:
            found = "no session" if not matches else f"{len(matches)} sessions"
            raise SessionNotFound(
                f"{found} in the source store match {name!r}: give a session id "
                "(`ramify sessions` lists them)"
            )
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen


async def copy_store(
    src: Store, dst: Store, *, sessions: Sequence[str] | None = None
) -> list[SessionCopy]:
    """Copy every session of `src` (or those named in `sessions`) into `dst`."""
    return [
        await copy_session(src, dst, session_id)
        for session_id in await select_sessions(src, sessions)
    ]


async def copy_session(src: Store, dst: Store, session_id: str) -> SessionCopy:
    """Copy one session of `src` into `dst` (see the module's description)."""
    record = await src.get_session(session_id)
    report = SessionCopy(session_id, record.title)
    members = await src.session_nodes(session_id)
    refs = {ref.name: ref.head for ref in await src.list_refs(session_id)}
    reflog = await src.reflog(session_id)
    runs = await src.list_runs(session_id=session_id)
    digests = await src.import_digests(session_id)

    wanted = [*refs.values(), *(h for e in reflog for h in (e.old, e.new) if h is not None)]
    optional = [h for run in runs for h in (run.input_node, *run.output_nodes) if h is not None]
    nodes = await _closure(src, members, wanted, optional)
    message_keys = {node.message for node in nodes} | {
        key for run in runs for key in run.input_messages
    }
    messages = await src.get_messages(sorted(message_keys))
    before = await dst.count_nodes()
    # Into the store first, then into the session: the closure has nodes outside it.
    await dst.put_nodes(nodes, list(messages.values()))
    await dst.put_nodes(
        _in_order(nodes, {node.hash_key for node in members}), session_id=session_id
    )
    report.nodes = await dst.count_nodes() - before
    for run in runs:
        await dst.put_run(run)
    await _merge_history(dst, session_id, refs, reflog, digests, report)
    try:
        existing = await dst.get_session(session_id)
    except SessionNotFound:
        existing = None
    # Last: branch moves would mark the session used now, and the source's times must stand.
    if existing is None or record.updated_at >= existing.updated_at:
        await dst.put_session(record)
    return report


async def _closure(
    src: Store, members: Sequence[Node], wanted: Iterable[str], optional: Iterable[str]
) -> list[Node]:
    """`members` and the `wanted` nodes (and the `optional` ones `src` still has) with every
    node they lean on (parents, forward sources), parents first."""
    found: dict[str, Node] = {node.hash_key: node for node in members}
    pending = list(found.values())

    async def fetch(key: str) -> None:
        if key not in found:
            for node in await src.path(key):
                if node.hash_key not in found:
                    found[node.hash_key] = node
                    pending.append(node)

    for key in wanted:
        await fetch(key)
    for key in optional:
        try:
            await fetch(key)
        except NodeNotFound:
            continue  # a run's note of a node never stored (it failed first) is only a note
    while pending:
        node = pending.pop()
        for leaned_on in (node.parent, node.forwarded_from):
            if leaned_on is not None:
                await fetch(leaned_on)
    return _parents_first(found)


def _parents_first(nodes: dict[str, Node]) -> list[Node]:
    """`nodes` ordered so that each comes after its parent and its forward source (when they
    are among them), otherwise in the order given. Iterative: paths run thousands deep."""
    ordered: list[Node] = []
    placed: set[str] = set()
    for start in nodes:
        stack = [start]
        while stack:
            key = stack[-1]
            if key in placed:
                stack.pop()
                continue
            node = nodes[key]
            missing = [
                k
                for k in (node.parent, node.forwarded_from)
                if k is not None and k in nodes and k not in placed
            ]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            placed.add(key)
            ordered.append(node)
    return ordered


def _in_order(nodes: Sequence[Node], keys: set[str]) -> list[Node]:
    return [node for node in nodes if node.hash_key in keys]


_EntryKey = tuple[str, str | None, str, str, float]
"""A reflog entry as copies match it: name, old and new head, reason, time."""


def _entry_key(entry: ReflogEntry) -> _EntryKey:
    return (entry.name, entry.old, entry.new, entry.reason, entry.at)


async def _merge_history(
    dst: Store,
    session_id: str,
    src_heads: dict[str, str],
    src_log: Sequence[ReflogEntry],
    digests: Sequence[str],
    report: SessionCopy,
) -> None:
    dst_heads = {ref.name: ref.head for ref in await dst.list_refs(session_id)}
    dst_log = await dst.reflog(session_id)
    src_named = _by_name(src_log)
    dst_named = _by_name(dst_log)
    heads: dict[str, str | None] = {}
    expected: dict[str, str | None] = {}
    diverged: set[str] = set()
    copies: dict[str, str] = {}
    names = {*src_heads, *dst_heads, *(entry.name for entry in src_log)}
    for name in sorted(names):
        source, here = src_heads.get(name), dst_heads.get(name)
        theirs, ours = src_named.get(name, Counter()), dst_named.get(name, Counter())
        if not theirs and source is None:
            continue  # the destination's own branch: the source never had it
        if ours <= theirs:
            # The destination's history of the branch is part of the source's: it is behind.
            if source != here:
                heads[name], expected[name] = source, here
                report.moved.append(name)
            continue
        diverged.add(name)
        if source is not None and source not in dst_heads.values():
            copy_name = _free_name(f"{name}-copy", {*dst_heads, *heads})
            heads[copy_name], expected[copy_name] = source, None
            report.diverged[name] = copy_name
            copies[copy_name] = source
    appended: list[ReflogEntry] = []
    remaining = Counter(_entry_key(entry) for entry in dst_log)
    for entry in src_log:
        key = _entry_key(entry)
        if remaining[key] > 0:
            remaining[key] -= 1
        elif entry.name not in diverged:
            appended.append(entry)
    now = time.time()
    for name, copy_name in report.diverged.items():
        appended.append(
            ReflogEntry(
                session_id=session_id,
                name=copy_name,
                old=None,
                new=copies[copy_name],
                reason=f"{COPY_REASON} {name}",
                at=now,
            )
        )
    known = set(await dst.import_digests(session_id))
    new_digests = [digest for digest in digests if digest not in known]
    report.reflog_entries = len(appended)
    if heads or appended or new_digests:
        try:
            await dst.put_branch_history(
                session_id, heads, expected=expected, reflog=appended, digests=new_digests
            )
        except RefConflict:
            raise RefConflict(
                f"a branch of session {session_id} moved in the destination during the copy "
                "(someone is writing to it); run the copy again"
            ) from None


def _by_name(log: Sequence[ReflogEntry]) -> dict[str, Counter[_EntryKey]]:
    named: dict[str, Counter[_EntryKey]] = {}
    for entry in log:
        named.setdefault(entry.name, Counter())[_entry_key(entry)] += 1
    return named


def _free_name(stem: str, taken: set[str]) -> str:
    number = 1
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"
