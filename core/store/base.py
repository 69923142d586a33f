"""The async `Store` interface: the object database under sessions."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from pydantic import BaseModel, Field

from ..errors import InvalidHashPrefix
from ..messages import Message
from ..runs import Run, RunStatus
from ..tree import Node, Ref, ReflogEntry, is_full_hash

__all__ = [
    "MIN_PREFIX",
    "REASON_DELETE",
    "REASON_RENAME",
    "SessionRecord",
    "SessionSummary",
    "Store",
    "check_history",
    "check_prefix",
    "search_terms",
]

MIN_PREFIX = 4
"""The shortest hash prefix accepted, as in git."""

REASON_DELETE = "delete"
"""Reflog reason of a deleted branch; its entry keeps the last head (``old == new``), so the
nodes can be found again, and undo never walks back past it."""

REASON_RENAME = "rename"
"""Reflog reason of a renamed branch (the head did not move, so undo skips it)."""

FIRST_TEXT_CHARS = 400
"""How much of a session's first message `SessionSummary.first_text` keeps."""

_HEX_PREFIX = re.compile(rf"[0-9a-f]{{{MIN_PREFIX},64}}")
# Letters and digits, as SQLite's unicode61 tokenizer splits words, so both stores agree.
_WORD = re.compile(r"[^\W_]+")


def check_prefix(prefix: str) -> str:
    """Return `prefix` lowercased, or raise `InvalidHashPrefix` if it cannot name a hash."""
    lowered = prefix.strip().lower()
    if not _HEX_PREFIX.fullmatch(lowered):
        raise InvalidHashPrefix(
            f"{prefix!r} is not a hash prefix: give {MIN_PREFIX} to 64 hex characters"
        )
    return lowered


def check_history(session_id: str, reflog: Sequence[ReflogEntry]) -> None:
    """Raise `ValueError` unless every entry of `reflog` belongs to session `session_id`."""
    for entry in reflog:
        if entry.session_id != session_id:
            raise ValueError(
                f"reflog entry of session {entry.session_id!r} given for session {session_id!r}"
            )


def search_terms(query: str) -> list[list[str]]:
    """Split a user query into terms, each a phrase of lowercase words, all required.

    Both stores read a query this way, so no user input is ever parsed as query syntax.
    """
    terms = (_WORD.findall(part.lower()) for part in query.split())
    return [words for words in terms if words]


class SessionRecord(BaseModel):
    """A session's stored metadata and UI state."""

    id: str
    title: str = ""
    created_at: float
    updated_at: float
    active_branch: str = "main"
    # Branch-point node hash -> the child last shown there, so reopening lands in place.
    remembered_children: dict[str, str] = Field(default_factory=dict)


class SessionSummary(BaseModel):
    """A session as a list of sessions shows it: its record, size and opening words."""

    record: SessionRecord
    message_count: int
    # The start of the session's oldest message ("" for an empty session).
    first_text: str = ""


class Store(ABC):
    """Async storage of messages, nodes, branch heads, sessions and runs.

    Messages and nodes are content-addressed and written idempotently and never deleted; only
    branch heads, session metadata and session membership are (see `delete_ref`).
    Use as ``async with SomeStore(...) as store:``.
    """

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:  # noqa: B027 - optional hook; in-memory stores need nothing
        """Make the store ready (connect, check and migrate)."""

    async def close(self) -> None:  # noqa: B027
        """Release resources; the store cannot be used afterwards."""

    # --- messages and nodes ---

    async def put_message(self, message: Message) -> str:
        """Store `message` (idempotent) and return its hash."""
        await self.put_nodes((), (message,))
        return message.hash_key

    async def put_node(
        self, node: Node, message: Message | None = None, *, session_id: str | None = None
    ) -> Node:
        """Store one node (and its message, if given); see `put_nodes`."""
        await self.put_nodes((node,), () if message is None else (message,), session_id=session_id)
        return node

    @abstractmethod
    async def put_nodes(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message] = (),
        *,
        session_id: str | None = None,
    ) -> None:
        """Store messages and nodes in one transaction, idempotently by hash.

        A node's parent must be stored already or come earlier in `nodes`; the same holds for
        its message (or be in `messages`) and its ``forwarded_from``. Otherwise `MissingParent`
        is raised and nothing is written. With `session_id`, the nodes join that session.
        """

    @abstractmethod
    async def get_message(self, key: str) -> Message:
        """The message with this full hash or unique prefix."""

    @abstractmethod
    async def get_messages(self, hashes: Sequence[str]) -> dict[str, Message]:
        """Messages by full hash; unknown hashes are left out of the result."""

    @abstractmethod
    async def get_node(self, key: str) -> Node:
        """The node with this full hash or unique prefix."""

    @abstractmethod
    async def children(self, node_hash: str, *, session_id: str | None = None) -> list[Node]:
        """Nodes whose parent is `node_hash` (in that session, if given), oldest first."""

    @abstractmethod
    async def path(self, node_hash: str) -> list[Node]:
        """Nodes from the root down to `node_hash` inclusive."""

    @abstractmethod
    async def count_nodes(self) -> int:
        """How many nodes are stored in all."""

    async def session_nodes(self, session_id: str) -> list[Node]:
        """Every node that joined the session (what `children` and `search` see), any order.

        This default walks the path of every head in the session's reflog; the stores
        override it with one lookup (session export reads whole trees through it).
        """
        found: dict[str, Node] = {}
        for entry in await self.reflog(session_id):
            if entry.new not in found:
                for node in await self.path(entry.new):
                    found.setdefault(node.hash_key, node)
        return list(found.values())

    @abstractmethod
    async def search(
        self, query: str, *, session_id: str | None = None, limit: int = 100
    ) -> list[Node]:
        """Nodes whose message text holds every term of `query` (see `search_terms`)."""

    # --- refs ---

    @abstractmethod
    async def get_ref(self, session_id: str, name: str) -> Ref | None:
        """The branch head, or None if the session has no such branch."""

    @abstractmethod
    async def list_refs(self, session_id: str) -> list[Ref]:
        """Every branch of a session, by name."""

    @abstractmethod
    async def move_ref(
        self, session_id: str, name: str, new: str, *, expected: str | None, reason: str
    ) -> Ref:
        """Compare-and-swap a branch head from `expected` to `new`, logging the move.

        ``expected=None`` creates the branch. Raises `RefConflict` if the head is not
        `expected`, and `NodeNotFound` if `new` is not a stored node.
        """

    @abstractmethod
    async def reflog(self, session_id: str, name: str | None = None) -> list[ReflogEntry]:
        """Moves of a session's heads (one branch if `name` is given), oldest first."""

    @abstractmethod
    async def delete_ref(self, session_id: str, name: str, *, expected: str) -> None:
        """Remove a branch whose head is `expected`, logging it (`REASON_DELETE`).

        Nodes are never deleted. The session forgets (drops from its membership) the nodes on
        the branch's path that no other branch of the session reaches, so they leave its tree;
        another session, or a fork by hash, still reaches them. Raises `BranchNotFound` if
        there is no such branch, `RefConflict` if its head is not `expected`.
        """

    @abstractmethod
    async def rename_ref(self, session_id: str, name: str, new_name: str) -> Ref:
        """Give a branch a new name, with its reflog; the session's active branch follows.

        Raises `BranchNotFound` if there is no branch `name`, `RefConflict` if `new_name`
        is taken.
        """

    # --- sessions ---

    @abstractmethod
    async def put_session(self, record: SessionRecord) -> None:
        """Create or replace a session's metadata."""

    @abstractmethod
    async def get_session(self, session_id: str) -> SessionRecord:
        """A session's metadata; raises `SessionNotFound`."""

    @abstractmethod
    async def list_sessions(self) -> list[SessionRecord]:
        """Every session, most recently updated first.

        A session's ``updated_at`` moves with each of its branch moves (`move_ref`), so this
        order is the order of last use.
        """

    @abstractmethod
    async def rename_session(self, session_id: str, title: str) -> None:
        """Set a session's title (and mark it updated); raises `SessionNotFound`."""

    @abstractmethod
    async def delete_session(self, session_id: str) -> None:
        """Remove a session: its record, branches, reflog, runs and membership.

        Nodes and messages stay (they are shared by hash with any other session holding them).
        Raises `SessionNotFound`.
        """

    @abstractmethod
    async def session_summaries(self) -> list[SessionSummary]:
        """Every session with its message count and the start of its oldest message (the
        first stored), most recently updated first: what a list of sessions shows."""

    async def data_version(self) -> int | None:
        """A number that changes whenever another connection commits to this store.

        None when no other writer can exist (an in-memory store). Cheap enough to poll.
        """
        return None

    # --- imports ---

    @abstractmethod
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
        """Store a whole session read from a file at once, and return its id.

        Writes `record`, the nodes and messages (joining the session), the branches (created
        at the heads in `refs`) and the runs: all of it, or nothing on any error, cancel or
        crash. Nodes come parents first, as for `put_nodes`. `digest` names the file's
        content: when an earlier import of the same content made a session that still exists,
        nothing is written and that session's id is returned.
        """

    @abstractmethod
    async def imported_session(self, digest: str) -> str | None:
        """The id of the session an import of content `digest` made, if it still exists."""

    @abstractmethod
    async def import_digests(self, session_id: str) -> list[str]:
        """The digests of the imported files that open this session (see `imported_session`),
        sorted."""

    # --- copying between stores ---

    @abstractmethod
    async def put_branch_history(
        self,
        session_id: str,
        heads: Mapping[str, str | None],
        *,
        expected: Mapping[str, str | None],
        reflog: Sequence[ReflogEntry] = (),
        digests: Sequence[str] = (),
    ) -> None:
        """Write branch heads, reflog entries and import digests as given, in one transaction.

        What `copy_store` writes, so a copy keeps another store's history exactly. Each branch
        in `heads` must be at ``expected[name]`` (None: absent), else `RefConflict` and nothing
        is written; it is then set to its new head (None removes it), which must be a stored
        node (`NodeNotFound`). Unlike `move_ref`, nothing is logged: the `reflog` entries (all
        of this session) are appended verbatim, in order, times included. Each digest is
        recorded for the session unless it already opens another existing session. The
        session record, its ``updated_at`` and its membership are left alone.
        """

    # --- runs ---

    @abstractmethod
    async def put_run(self, run: Run) -> None:
        """Create or replace a run record."""

    async def put_runs(self, runs: Sequence[Run]) -> None:
        """Create or replace several run records, all or none (a network ends ~100 actor
        runs at once: one transaction instead of one each). This default writes them one by
        one; the database stores override it with one write."""
        for run in runs:
            await self.put_run(run)

    async def put_nodes_and_runs(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        runs: Sequence[Run],
        *,
        session_id: str | None = None,
    ) -> None:
        """`put_nodes` then `put_runs`: a workflow task's records (its run started with its
        inputs, or its output with its run ended). This default makes two writes; the database
        stores make it one transaction (SQLite's in one trip to its thread). The runs are
        handed over: a store may keep these very objects (the in-memory store does, sparing a
        copy), so the caller must not change them afterwards (the workflow recorder passes
        copies)."""
        if nodes or messages:
            await self.put_nodes(nodes, messages, session_id=session_id)
        if runs:
            await self.put_runs(runs)

    @abstractmethod
    async def get_run(self, run_id: str) -> Run:
        """A run by id; raises `RunNotFound`."""

    @abstractmethod
    async def list_runs(
        self, *, session_id: str | None = None, parent_run_id: str | None = None
    ) -> list[Run]:
        """Runs, oldest first, filtered by session and/or parent run."""

    @abstractmethod
    async def find_run(
        self,
        session_id: str,
        fingerprint: str,
        input_node: str | None,
        *,
        status: RunStatus = RunStatus.DONE,
        require_output: bool = False,
    ) -> Run | None:
        """The most recent run of a session with this fingerprint on this input node, or None.

        Only runs in `status` count (finished without error, by default), and with
        `require_output` only runs that produced at least one node. Of several, it is the one
        `list_runs` would list last: the latest `started_at`, then the last stored.
        """


_NODE_FIELDS = ("message", "parent", "sender", "forwarded_from", "run_id", "created_at")


def node_from_row(row: Sequence[Any]) -> Node:
    """Build a stored node from ``(hash, *fields)`` without re-validating or re-hashing it.

    The row came from a node that was validated when written; see `Frozen.from_stored_fields`.
    """
    return Node.from_stored_fields(dict(zip(_NODE_FIELDS, row[1:], strict=True)), row[0])


def full_hash_or_none(key: str) -> str | None:
    """`key` lowercased if it is a full hash, else None (then treat it as a prefix)."""
    lowered = key.lower()
    return lowered if is_full_hash(lowered) else None
