"""`MemoryStore`: the whole store in dicts, for tests and throwaway sessions."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TypeVar

from ..errors import (
    AmbiguousPrefix,
    BranchNotFound,
    MessageNotFound,
    MissingParent,
    NodeNotFound,
    RefConflict,
    RunNotFound,
    SessionNotFound,
)
from ..messages import Message
from ..runs import Run, RunStatus, copy_run
from ..tree import Node, Ref, ReflogEntry
from .base import (
    FIRST_TEXT_CHARS,
    REASON_DELETE,
    REASON_RENAME,
    SessionRecord,
    SessionSummary,
    Store,
    check_history,
    check_prefix,
    full_hash_or_none,
    search_terms,
)

__all__ = ["MemoryStore"]

_T = TypeVar("_T")


def _lookup(table: dict[str, _T], key: str, kind: str, missing: type[Exception]) -> _T:
    full = full_hash_or_none(key)
    if full is not None:
        try:
            return table[full]
        except KeyError:
            raise missing(f"no {kind} has hash {full}") from None
    prefix = check_prefix(key)
    matches = [value for name, value in table.items() if name.startswith(prefix)]
    if not matches:
        raise missing(f"no {kind} hash starts with {prefix!r}")
    if len(matches) > 1:
        raise AmbiguousPrefix(kind, prefix, len(matches))
    return matches[0]


def _contains_phrase(words: list[str], phrase: list[str]) -> bool:
    size = len(phrase)
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


class MemoryStore(Store):
    """A `Store` held in process memory; everything is lost when it is dropped.

    Every method completes without awaiting, so each one is atomic under asyncio.
    """

    def __init__(self) -> None:
        self._messages: dict[str, Message] = {}
        self._nodes: dict[str, Node] = {}
        self._children: dict[str, list[str]] = {}
        self._session_nodes: dict[str, set[str]] = {}
        self._refs: dict[tuple[str, str], str] = {}
        self._reflog: list[ReflogEntry] = []
        self._sessions: dict[str, SessionRecord] = {}
        self._runs: dict[str, Run] = {}
        self._imports: dict[str, str] = {}

    async def put_nodes(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message] = (),
        *,
        session_id: str | None = None,
    ) -> None:
        new_messages = {message.hash_key: message for message in messages}
        seen: set[str] = set()
        for node in nodes:
            if node.message not in new_messages and node.message not in self._messages:
                raise MissingParent(
                    f"node {node.hash_key} refers to unknown message {node.message}"
                )
            for label, ref in (("parent", node.parent), ("forwarded-from", node.forwarded_from)):
                if ref is not None and ref not in seen and ref not in self._nodes:
                    raise MissingParent(f"node {node.hash_key} has unknown {label} node {ref}")
            seen.add(node.hash_key)
        for key, message in new_messages.items():
            self._messages.setdefault(key, message)
        for node in nodes:
            key = node.hash_key
            if key not in self._nodes:
                self._nodes[key] = node
                if node.parent is not None:
                    self._children.setdefault(node.parent, []).append(key)
            if session_id is not None:
                self._session_nodes.setdefault(session_id, set()).add(key)

    async def get_message(self, key: str) -> Message:
        return _lookup(self._messages, key, "message", MessageNotFound)

    async def get_messages(self, hashes: Sequence[str]) -> dict[str, Message]:
        return {key: self._messages[key] for key in hashes if key in self._messages}

    async def get_node(self, key: str) -> Node:
        return _lookup(self._nodes, key, "node", NodeNotFound)

    async def children(self, node_hash: str, *, session_id: str | None = None) -> list[Node]:
        keys = self._children.get(node_hash, [])
        if session_id is not None:
            members = self._session_nodes.get(session_id, set())
            keys = [key for key in keys if key in members]
        return [self._nodes[key] for key in keys]

    async def path(self, node_hash: str) -> list[Node]:
        node = await self.get_node(node_hash)
        path = [node]
        while node.parent is not None:
            node = self._nodes[node.parent]
            path.append(node)
        path.reverse()
        return path

    async def count_nodes(self) -> int:
        return len(self._nodes)

    async def session_nodes(self, session_id: str) -> list[Node]:
        return [self._nodes[key] for key in self._session_nodes.get(session_id, ())]

    async def search(
        self, query: str, *, session_id: str | None = None, limit: int = 100
    ) -> list[Node]:
        terms = search_terms(query)
        if not terms:
            return []
        members = None if session_id is None else self._session_nodes.get(session_id, set())
        found: list[Node] = []
        for key, node in self._nodes.items():
            if members is not None and key not in members:
                continue
            words = search_terms(self._messages[node.message].text)
            flat = [word for term in words for word in term]
            if all(_contains_phrase(flat, phrase) for phrase in terms):
                found.append(node)
                if len(found) >= limit:
                    break
        return found

    async def get_ref(self, session_id: str, name: str) -> Ref | None:
        head = self._refs.get((session_id, name))
        return None if head is None else Ref(session_id=session_id, name=name, head=head)

    async def list_refs(self, session_id: str) -> list[Ref]:
        return sorted(
            (
                Ref(session_id=sid, name=name, head=head)
                for (sid, name), head in self._refs.items()
                if sid == session_id
            ),
            key=lambda ref: ref.name,
        )

    async def move_ref(
        self, session_id: str, name: str, new: str, *, expected: str | None, reason: str
    ) -> Ref:
        if new not in self._nodes:
            raise NodeNotFound(f"cannot point branch {name!r} at unknown node {new}")
        current = self._refs.get((session_id, name))
        if current != expected:
            raise RefConflict(
                f"branch {name!r} is at {current}, not {expected}: it moved; reload and retry"
            )
        self._refs[(session_id, name)] = new
        self._log(session_id, name, expected, new, reason)
        return Ref(session_id=session_id, name=name, head=new)

    def _log(self, session_id: str, name: str, old: str | None, new: str, reason: str) -> None:
        now = time.time()
        self._reflog.append(
            ReflogEntry(session_id=session_id, name=name, old=old, new=new, reason=reason, at=now)
        )
        record = self._sessions.get(session_id)
        if record is not None:
            record.updated_at = max(record.updated_at, now)

    def _ancestors(self, head: str) -> set[str]:
        found: set[str] = set()
        current: str | None = head
        while current is not None and current not in found:
            found.add(current)
            current = self._nodes[current].parent
        return found

    async def delete_ref(self, session_id: str, name: str, *, expected: str) -> None:
        current = self._refs.get((session_id, name))
        if current is None:
            raise BranchNotFound(f"session has no branch {name!r}")
        if current != expected:
            raise RefConflict(
                f"branch {name!r} is at {current}, not {expected}: it moved; reload and retry"
            )
        del self._refs[(session_id, name)]
        self._log(session_id, name, current, current, REASON_DELETE)
        self._forget_path(session_id, current)

    def _forget_path(self, session_id: str, head: str) -> None:
        """Drop from the session the nodes on `head`'s path that none of its branches reach."""
        kept: set[str] = set()
        for (sid, _), other in self._refs.items():
            if sid == session_id:
                kept |= self._ancestors(other)
        members = self._session_nodes.get(session_id, set())
        members -= self._ancestors(head) - kept

    async def rename_ref(self, session_id: str, name: str, new_name: str) -> Ref:
        head = self._refs.get((session_id, name))
        if head is None:
            raise BranchNotFound(f"session has no branch {name!r}")
        taken = self._refs.get((session_id, new_name))
        if taken is not None:
            raise RefConflict(f"branch {new_name!r} already exists: choose another name")
        del self._refs[(session_id, name)]
        self._refs[(session_id, new_name)] = head
        self._reflog = [
            entry.model_copy(update={"name": new_name})
            if entry.session_id == session_id and entry.name == name
            else entry
            for entry in self._reflog
        ]
        self._log(session_id, new_name, head, head, f"{REASON_RENAME} from {name}")
        record = self._sessions.get(session_id)
        if record is not None and record.active_branch == name:
            record.active_branch = new_name
        return Ref(session_id=session_id, name=new_name, head=head)

    async def reflog(self, session_id: str, name: str | None = None) -> list[ReflogEntry]:
        return [
            entry
            for entry in self._reflog
            if entry.session_id == session_id and (name is None or entry.name == name)
        ]

    async def put_session(self, record: SessionRecord) -> None:
        self._sessions[record.id] = record.model_copy(deep=True)

    async def get_session(self, session_id: str) -> SessionRecord:
        try:
            return self._sessions[session_id].model_copy(deep=True)
        except KeyError:
            raise SessionNotFound(f"no session has id {session_id!r}") from None

    async def list_sessions(self) -> list[SessionRecord]:
        records = sorted(self._sessions.values(), key=lambda record: -record.updated_at)
        return [record.model_copy(deep=True) for record in records]

    async def rename_session(self, session_id: str, title: str) -> None:
        record = self._sessions.get(session_id)
        if record is None:
            raise SessionNotFound(f"no session has id {session_id!r}")
        record.title = title
        record.updated_at = max(record.updated_at, time.time())

    async def delete_session(self, session_id: str) -> None:
        if self._sessions.pop(session_id, None) is None:
            raise SessionNotFound(f"no session has id {session_id!r}")
        self._session_nodes.pop(session_id, None)
        self._refs = {key: head for key, head in self._refs.items() if key[0] != session_id}
        self._reflog = [entry for entry in self._reflog if entry.session_id != session_id]
        self._runs = {key: run for key, run in self._runs.items() if run.session_id != session_id}

    async def session_summaries(self) -> list[SessionSummary]:
        summaries = []
        for record in await self.list_sessions():
            members = self._session_nodes.get(record.id, set())
            # Nodes are kept in the order they were first stored, as SQLite's rowids are.
            oldest = next((node for key, node in self._nodes.items() if key in members), None)
            first = "" if oldest is None else self._messages[oldest.message].text
            summaries.append(
                SessionSummary(
                    record=record, message_count=len(members), first_text=first[:FIRST_TEXT_CHARS]
                )
            )
        return summaries

    async def put_imported_session(
        self,
        record: SessionRecord,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        refs: Mapping[str, str],
        runs: Sequence[Run],
        *,
        digest: str,
    ) -> str:
        existing = await self.imported_session(digest)
        if existing is not None:
            return existing
        for name in refs:
            if (record.id, name) in self._refs:
                raise RefConflict(f"session {record.id!r} already has a branch {name!r}")
        # Checked first, and nothing below awaits anything that yields: no other task sees a
        # half-written session, and no cancel lands halfway.
        await self.put_nodes(nodes, messages, session_id=record.id)
        for name, head in refs.items():
            await self.move_ref(record.id, name, head, expected=None, reason="import")
        # After the refs: each move marks the session used now, and the file's times stand.
        await self.put_session(record)
        for run in runs:
            await self.put_run(run)
        self._imports[digest] = record.id
        return record.id

    async def imported_session(self, digest: str) -> str | None:
        session_id = self._imports.get(digest)
        return session_id if session_id in self._sessions else None

    async def import_digests(self, session_id: str) -> list[str]:
        return sorted(digest for digest, sid in self._imports.items() if sid == session_id)

    async def put_branch_history(
        self,
        session_id: str,
        heads: Mapping[str, str | None],
        *,
        expected: Mapping[str, str | None],
        reflog: Sequence[ReflogEntry] = (),
        digests: Sequence[str] = (),
    ) -> None:
        check_history(session_id, reflog)
        # Everything is checked before anything is written, and nothing here awaits: atomic.
        for name, head in heads.items():
            current = self._refs.get((session_id, name))
            if current != expected.get(name):
                raise RefConflict(
                    f"branch {name!r} is at {current}, not {expected.get(name)}: it moved; "
                    "reload and retry"
                )
            if head is not None and head not in self._nodes:
                raise NodeNotFound(f"cannot point branch {name!r} at unknown node {head}")
        removed = [
            self._refs.pop((session_id, name))
            for name, head in heads.items()
            if head is None and (session_id, name) in self._refs
        ]
        for name, head in heads.items():
            if head is not None:
                self._refs[(session_id, name)] = head
        for head in removed:
            self._forget_path(session_id, head)
        self._reflog.extend(entry.model_copy() for entry in reflog)
        for digest in digests:
            if self._imports.get(digest) not in self._sessions:
                self._imports[digest] = session_id

    async def put_run(self, run: Run) -> None:
        self._runs[run.id] = copy_run(run)

    async def put_nodes_and_runs(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        runs: Sequence[Run],
        *,
        session_id: str | None = None,
    ) -> None:
        if nodes or messages:
            await self.put_nodes(nodes, messages, session_id=session_id)
        for run in runs:
            self._runs[run.id] = run  # handed over (see `Store.put_nodes_and_runs`): no copy

    async def get_run(self, run_id: str) -> Run:
        try:
            return copy_run(self._runs[run_id])
        except KeyError:
            raise RunNotFound(f"no run has id {run_id!r}") from None

    async def list_runs(
        self, *, session_id: str | None = None, parent_run_id: str | None = None
    ) -> list[Run]:
        return [
            copy_run(run)
            for run in sorted(self._runs.values(), key=lambda run: run.started_at)
            if (session_id is None or run.session_id == session_id)
            and (parent_run_id is None or run.parent_run_id == parent_run_id)
        ]

    async def find_run(
        self,
        session_id: str,
        fingerprint: str,
        input_node: str | None,
        *,
        status: RunStatus = RunStatus.DONE,
        require_output: bool = False,
    ) -> Run | None:
        found: Run | None = None
        # Dicts keep first-insertion order, so `>=` lets the later-stored run win a tie.
        for run in self._runs.values():
            if (
                run.session_id == session_id
                and run.fingerprint == fingerprint
                and run.input_node == input_node
                and run.status == status
                and (run.output_nodes or not require_output)
                and (found is None or run.started_at >= found.started_at)
            ):
                found = run
        return None if found is None else copy_run(found)
