"""`Session`: a named set of branches over a store, and the tree operations the UI calls."""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .agents import Agent
from .errors import BranchNotFound, NothingToUndo, RefConflict
from .messages import Message
from .path_cache import CachedPath, PathCache
from .recent_messages import RecentMessages
from .recording import RecordedReplies, mark_interrupted_runs, start_recorded_inquiry
from .rerun import start_recorded_rerun
from .runs import Run
from .store.base import REASON_DELETE, REASON_RENAME, SessionRecord, Store
from .tree import USER, Node, Ref, ReflogEntry

if TYPE_CHECKING:
    from .sessionfile import Scope

__all__ = ["NodeLike", "Session", "title_from_text"]

NodeLike = Node | str
"""A `Node`, its full hash, or a unique hash prefix."""

_UNDO = "undo"

TITLE_CHARS = 60
"""The longest title `title_from_text` makes."""

# Bidi overrides and isolates reorder the text around them; control characters move the cursor.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MARKDOWN_LEAD = re.compile(r"^(?:[#>*+-]+\s+|\s+)+")


def title_from_text(text: str, limit: int = TITLE_CHARS) -> str:
    """A one-line title from a message: no control characters, no leading markdown markers,
    whitespace collapsed, cut at a word boundary with an ellipsis past `limit` characters."""
    kept = "".join(
        " " if char in _BIDI or unicodedata.category(char) == "Cc" else char for char in text
    )
    line = _MARKDOWN_LEAD.sub("", " ".join(kept.split()))
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


class Session:
    """A named set of branches over a `Store`, plus the UI state that reopens where you were.

    Build one with `Session.create` or `Session.open`. Methods taking a node accept a `Node`,
    its hash, or a unique prefix. Nothing here ever deletes a node.

    The session's first message gives it a title when it has none (`title_from_text`).
    """

    def __init__(self, store: Store, record: SessionRecord, *, stored: bool = True) -> None:
        self.store = store
        self._record = record
        self._stored = stored
        # Branch -> the head this object last gave it (None: it deleted it), so a watcher can
        # tell its own moves from another writer's.
        self._own_heads: dict[str, str | None] = {}
        self._branch_locks: dict[str, asyncio.Lock] = {}
        self._agents: dict[str, Agent] = {}
        self._paths = PathCache(store)
        self._written = RecentMessages()

    @classmethod
    async def create(
        cls,
        store: Store,
        *,
        title: str = "",
        session_id: str | None = None,
        active_branch: str = "main",
        lazy: bool = False,
    ) -> Session:
        """Start a new, empty session in `store`.

        With `lazy`, the session is stored only when something is first written to it (a node,
        a branch, a run), so one nobody writes to leaves no trace.
        """
        now = time.time()
        record = SessionRecord(
            id=session_id or uuid.uuid4().hex,
            title=title,
            created_at=now,
            updated_at=now,
            active_branch=active_branch,
        )
        session = cls(store, record, stored=not lazy)
        if not lazy:
            await store.put_session(record)
        return session

    @classmethod
    async def open(cls, store: Store, session_id: str) -> Session:
        """Reopen a stored session; raises `SessionNotFound`.

        Runs left "running" by a process that has died are marked interrupted.
        """
        session = cls(store, await store.get_session(session_id))
        await mark_interrupted_runs(session)
        return session

    # --- identity and UI state ---

    @property
    def id(self) -> str:
        """The session's stable id."""
        return self._record.id

    @property
    def title(self) -> str:
        """The session's title."""
        return self._record.title

    @property
    def active_branch(self) -> str:
        """The branch the user last looked at; `append` defaults to it."""
        return self._record.active_branch

    @property
    def record(self) -> SessionRecord:
        """A copy of the stored metadata."""
        return self._record.model_copy(deep=True)

    @property
    def stored(self) -> bool:
        """Whether the session is in the store yet (a lazy one is not until its first write)."""
        return self._stored

    async def set_title(self, title: str) -> None:
        """Rename the session."""
        self._record.title = title
        if self._stored:
            await self.store.rename_session(self.id, title)

    async def reload(self) -> None:
        """Take the title another process may have given the session since it was opened."""
        stored = await self.store.get_session(self.id)
        self._record.title = stored.title
        self._record.updated_at = max(self._record.updated_at, stored.updated_at)

    def wrote_head(self, branch: str, head: str | None) -> bool:
        """Whether this object's own last change left `branch` at `head` (None: deleted)."""
        return branch in self._own_heads and self._own_heads[branch] == head

    async def delete(self) -> None:
        """Remove the session from its store: its branches, reflog, runs and membership.

        Nodes stay: another session may hold the same ones. A lazy session never stored has
        nothing to remove.
        """
        if self._stored:
            await self.store.delete_session(self.id)
            self._stored = False

    async def set_active_branch(self, name: str) -> None:
        """Remember which branch is shown (it need not exist yet)."""
        self._record.active_branch = name
        await self._save()

    async def remember_child(self, branch_point: NodeLike, child: NodeLike) -> None:
        """Remember which child of `branch_point` the user is looking at."""
        parent = await self.resolve(branch_point)
        chosen = await self.resolve(child)
        if chosen.parent != parent.hash_key:
            raise ValueError(f"node {chosen.hash_key} is not a child of {parent.hash_key}")
        self._record.remembered_children[parent.hash_key] = chosen.hash_key
        await self._save()

    async def remembered_child(self, branch_point: NodeLike) -> Node | None:
        """The child last remembered at `branch_point`, if any."""
        parent = await self.resolve(branch_point)
        key = self._record.remembered_children.get(parent.hash_key)
        return None if key is None else await self.store.get_node(key)

    async def _save(self) -> None:
        self._record.updated_at = time.time()
        if self._stored:
            await self.store.put_session(self._record)

    async def _ensure_stored(self) -> None:
        if not self._stored:
            self._record.updated_at = time.time()
            await self.store.put_session(self._record)
            self._stored = True

    # --- reading ---

    async def resolve(self, node: NodeLike) -> Node:
        """The stored `Node` named by a `Node`, full hash or unique prefix."""
        return await self.store.get_node(node.hash_key if isinstance(node, Node) else node)

    async def head(self, branch: str) -> Node | None:
        """The node at the tip of `branch`, or None if there is no such branch."""
        ref = await self.store.get_ref(self.id, branch)
        return None if ref is None else await self.store.get_node(ref.head)

    async def branches(self) -> list[Ref]:
        """Every branch of the session, by name."""
        return await self.store.list_refs(self.id)

    async def path(self, branch_or_node: NodeLike) -> list[Node]:
        """Nodes from the root down to a branch head or node; branch names win over prefixes."""
        if isinstance(branch_or_node, str):
            ref = await self.store.get_ref(self.id, branch_or_node)
            if ref is not None:
                return await self.store.path(ref.head)
        return await self.store.path((await self.resolve(branch_or_node)).hash_key)

    async def path_messages(self, branch_or_node: NodeLike) -> list[tuple[Node, Message]]:
        """`path` with each node's message, ready to show or send to a model."""
        head: Node | None = None
        if isinstance(branch_or_node, str):
            head = await self.head(branch_or_node)
        path = await self.history(head or await self.resolve(branch_or_node))
        return list(zip(path.nodes, path.messages, strict=True))

    async def history(self, node: NodeLike) -> CachedPath:
        """The nodes from the root down to `node` and their messages: what an agent run there
        reads. Recent paths are cached, so a branch that grew by a node reads just that node."""
        return await self._paths.get(node if isinstance(node, Node) else await self.resolve(node))

    async def children(self, node: NodeLike) -> list[Node]:
        """Children of `node` that belong to this session, oldest first."""
        parent = await self.resolve(node)
        return await self.store.children(parent.hash_key, session_id=self.id)

    async def message(self, node: NodeLike) -> Message:
        """The message a node carries."""
        key = (await self.resolve(node)).message
        written = self._written.found((key,))
        return written[key] if written else await self.store.get_message(key)

    async def messages(self, nodes: Sequence[Node]) -> list[Message]:
        """The messages of many nodes at once, in order."""
        found = await self.messages_by_hash([node.message for node in nodes])
        return [found[node.message] for node in nodes]

    async def messages_by_hash(self, hashes: Sequence[str]) -> dict[str, Message]:
        """The messages with these full hashes, by hash (unknown ones left out). Those this
        session wrote lately come from memory, as written, not rebuilt from the store."""
        found = self._written.found(hashes)
        unread = [key for key in dict.fromkeys(hashes) if key not in found]
        if unread:
            found.update(await self.store.get_messages(unread))
        return {key: found[key] for key in hashes if key in found}

    async def search(self, text: str, *, limit: int = 100) -> list[Node]:
        """Nodes of this session, on any branch, whose message text holds every word of `text`."""
        return await self.store.search(text, session_id=self.id, limit=limit)

    async def reflog(self, branch: str | None = None) -> list[ReflogEntry]:
        """Moves of this session's branch heads, oldest first."""
        return await self.store.reflog(self.id, branch)

    # --- writing ---

    def _lock(self, branch: str) -> asyncio.Lock:
        return self._branch_locks.setdefault(branch, asyncio.Lock())

    async def append(
        self,
        message: Message,
        *,
        sender: str = USER,
        branch: str | None = None,
        parent: NodeLike | None = None,
        run_id: str | None = None,
    ) -> Node:
        """Add `message` at the tip of `branch` (default: the active branch) and move its head.

        A branch that does not exist starts at a new root, or under `parent` if given. On an
        existing branch `parent`, if given, must be its head. Raises `RefConflict` if another
        writer moved the head meanwhile.
        """
        await self.store.put_message(message)
        self._written.add(message)
        node = await self._append_node(
            message.hash_key, sender=sender, branch=branch, parent=parent, run_id=run_id
        )
        if not self._record.title:
            title = title_from_text(message.text)
            if title:
                await self.set_title(title)
        return node

    async def append_under(
        self,
        message: Message,
        parent: str | None,
        *,
        branch: str,
        sender: str,
        run_id: str | None = None,
    ) -> Node | None:
        """Add `message` under `parent` and move `branch` to it, if `branch` still ends at
        `parent` (or does not exist yet, then it starts there).

        Returns None, leaving every branch as it was, when the branch moved on meanwhile:
        in this process or another (a lost compare-and-swap). Runs record their replies so,
        under their own input, never after someone else's message.
        """
        await self.store.put_message(message)
        self._written.add(message)
        async with self._lock(branch):
            ref = await self.store.get_ref(self.id, branch)
            if ref is not None and ref.head != parent:
                return None
            node = Node(
                message=message.hash_key,
                parent=parent,
                sender=sender,
                run_id=run_id,
                created_at=time.time(),
            )
            await self.store.put_nodes((node,), session_id=self.id)
            expected = None if ref is None else ref.head
            try:
                await self.store.move_ref(
                    self.id, branch, node.hash_key, expected=expected, reason="append"
                )
            except RefConflict:
                return None
            return node

    async def _append_node(
        self,
        message_hash: str,
        *,
        sender: str,
        branch: str | None,
        parent: NodeLike | None = None,
        run_id: str | None = None,
        forwarded_from: str | None = None,
        reason: str = "append",
    ) -> Node:
        name = branch or self.active_branch
        await self._ensure_stored()
        async with self._lock(name):
            ref = await self.store.get_ref(self.id, name)
            parent_hash = None if parent is None else (await self.resolve(parent)).hash_key
            if ref is not None:
                if parent_hash is not None and parent_hash != ref.head:
                    raise ValueError(
                        f"branch {name!r} is at {ref.head[:12]}, not {parent_hash[:12]}: "
                        "append to a new branch to continue from another node"
                    )
                parent_hash = ref.head
            node = Node(
                message=message_hash,
                parent=parent_hash,
                sender=sender,
                forwarded_from=forwarded_from,
                run_id=run_id,
                created_at=time.time(),
            )
            await self.store.put_nodes((node,), session_id=self.id)
            expected = None if ref is None else ref.head
            await self.store.move_ref(
                self.id, name, node.hash_key, expected=expected, reason=reason
            )
            # The store marked the session updated with the move; keep the copy here current.
            self._record.updated_at = time.time()
            self._own_heads[name] = node.hash_key
            return node

    async def fork(self, node: NodeLike, name: str) -> Ref:
        """Create branch `name` at `node`; nothing is copied. Raises `RefConflict` if taken."""
        target = await self.resolve(node)
        path = await self.store.path(target.hash_key)
        await self._ensure_stored()
        # A node reached by hash from elsewhere joins this session with its ancestors.
        await self.store.put_nodes(path, session_id=self.id)
        ref = await self.store.move_ref(
            self.id, name, target.hash_key, expected=None, reason=f"fork from {target.hash_key}"
        )
        self._own_heads[name] = ref.head
        return ref

    async def edit(
        self,
        node: NodeLike,
        new_message: Message,
        *,
        branch: str | None = None,
        sender: str | None = None,
    ) -> Node:
        """A sibling of `node` carrying `new_message`, on a new branch (``edit-N`` by default).

        The original node and its branches are untouched.
        """
        original = await self.resolve(node)
        name = branch or await self._free_branch_name("edit")
        await self.store.put_message(new_message)
        self._written.add(new_message)
        return await self._append_node(
            new_message.hash_key,
            sender=original.sender if sender is None else sender,
            branch=name,
            parent=original.parent,
            reason=f"edit of {original.hash_key}",
        )

    async def forward(self, node: NodeLike, to_branch: str, *, sender: str | None = None) -> Node:
        """Append `node`'s message to `to_branch`, pointing back at `node` as its source."""
        source = await self.resolve(node)
        return await self._append_node(
            source.message,
            sender=source.sender if sender is None else sender,
            branch=to_branch,
            forwarded_from=source.hash_key,
            reason=f"forward of {source.hash_key}",
        )

    async def undo(self, branch: str) -> Node:
        """Move `branch` back to where it was before its last move; repeat to go further.

        Undoing is itself a logged compare-and-swap move, so it can race and conflict.
        """
        async with self._lock(branch):
            ref = await self.store.get_ref(self.id, branch)
            if ref is None:
                raise BranchNotFound(f"session has no branch {branch!r}")
            moves: list[ReflogEntry] = []
            for entry in await self.store.reflog(self.id, branch):
                if entry.reason.startswith(REASON_DELETE):
                    moves.clear()  # a branch of the same name before it was deleted
                elif entry.reason.startswith(REASON_RENAME):
                    continue
                elif entry.reason.startswith(_UNDO):
                    if moves:
                        moves.pop()
                else:
                    moves.append(entry)
            if not moves or moves[-1].old is None:
                raise NothingToUndo(f"branch {branch!r} has no earlier head to go back to")
            target = moves[-1].old
            await self.store.move_ref(
                self.id, branch, target, expected=ref.head, reason=f"{_UNDO} of {ref.head}"
            )
            self._own_heads[branch] = target
            return await self.store.get_node(target)

    async def rename_branch(self, name: str, new_name: str) -> Ref:
        """Rename branch `name`, keeping its reflog (and undo); the active branch follows.

        Raises `BranchNotFound`, or `RefConflict` if `new_name` is taken.
        """
        async with self._lock(name):
            ref = await self.store.rename_ref(self.id, name, new_name)
        self._own_heads[name] = None
        self._own_heads[new_name] = ref.head
        if self._record.active_branch == name:
            self._record.active_branch = new_name
        return ref

    async def delete_branch(self, name: str) -> Ref:
        """Remove branch `name` and return the ref it was; see `Store.delete_ref`.

        The reflog keeps its last head, so ``fork(ref.head, name)`` brings it back. Nodes another
        branch or session reaches stay in their trees. Raises `BranchNotFound`, or `RefConflict`
        if another writer moved it meanwhile.
        """
        async with self._lock(name):
            ref = await self.store.get_ref(self.id, name)
            if ref is None:
                raise BranchNotFound(f"session has no branch {name!r}")
            await self.store.delete_ref(self.id, name, expected=ref.head)
            self._own_heads[name] = None
            return ref

    async def _free_branch_name(self, stem: str) -> str:
        taken = {ref.name for ref in await self.branches()}
        number = 1
        while f"{stem}-{number}" in taken:
            number += 1
        return f"{stem}-{number}"

    # --- runs ---

    async def save_run(self, run: Run) -> Run:
        """Create or update a run record, tagging it with this session."""
        if run.session_id is None:
            run.session_id = self.id
        await self._ensure_stored()
        await self.store.put_run(run)
        return run

    async def save_runs(self, runs: Sequence[Run]) -> None:
        """Create or update several run records in one write, tagging each with this session."""
        for run in runs:
            if run.session_id is None:
                run.session_id = self.id
        await self._ensure_stored()
        await self.store.put_runs(runs)

    async def save_nodes_and_runs(
        self, nodes: Sequence[Node], messages: Sequence[Message], runs: Sequence[Run]
    ) -> None:
        """Store nodes (joining this session) and run records (tagged with it) in one write
        where the store can (`Store.put_nodes_and_runs`)."""
        for run in runs:
            if run.session_id is None:
                run.session_id = self.id
        if runs:
            await self._ensure_stored()
        await self.store.put_nodes_and_runs(nodes, messages, runs, session_id=self.id)

    async def get_run(self, run_id: str) -> Run:
        """A run of this store by id; raises `RunNotFound`."""
        return await self.store.get_run(run_id)

    async def runs(self, *, parent_run_id: str | None = None) -> list[Run]:
        """This session's runs, oldest first (children of one run, if given)."""
        return await self.store.list_runs(session_id=self.id, parent_run_id=parent_run_id)

    # --- agent runs (see recording.py) ---

    def known_agent(self, alias: str) -> Agent | None:
        """An agent this session has run in this process, by alias (what rerun uses)."""
        return self._agents.get(alias)

    def inquire(
        self,
        agent: Agent,
        branch: str | None = None,
        *,
        cache: bool = True,
        errors_as_messages: bool | None = None,
        **kwargs: Any,
    ) -> RecordedReplies:
        """Run `agent` on `branch`'s history; each reply becomes a node there as it resolves.

        Returns the reply sequence at once (``.run`` is its `Run`). The same agent fingerprint
        on the same input replays the recorded replies unless `cache` is False or the agent
        was made with ``cache=False``.
        """
        self._agents[agent.alias] = agent
        return start_recorded_inquiry(
            self,
            agent,
            branch=branch or self.active_branch,
            use_cache=cache,
            errors_as_messages=errors_as_messages,
            kwargs=kwargs,
        )

    def rerun(
        self,
        node: NodeLike,
        agent: Agent | None = None,
        *,
        branch: str | None = None,
        caller: bool = False,
        errors_as_messages: bool | None = None,
        **kwargs: Any,
    ) -> RecordedReplies:
        """Run again the run that produced `node`, on the same input, bypassing the cache.

        Returns the reply sequence at once, like `inquire`. The run is the one whose agent
        wrote `node`: for a sub-agent's reply (one expert of a team), that sub-agent alone,
        on the input it was given; ``caller=True`` reruns the run recorded on the branch
        instead (the whole team). The output lands beside the original replies (siblings) on
        a new branch, made at the first reply that differs: `branch` (``branch-N`` when that
        name is taken by then), ``rerun-N`` when None. When every reply comes out the same,
        no branch is made, whatever the name, and ``same_as_before`` is True. The original
        nodes are untouched. Pass `agent` to rerun with another agent or a fork (another
        model, temperature ...).
        """
        if agent is not None:
            self._agents[agent.alias] = agent
        return start_recorded_rerun(
            self,
            node,
            agent,
            branch=branch,
            caller=caller,
            errors_as_messages=errors_as_messages,
            kwargs=kwargs,
        )

    def remember_agent(self, agent: Agent) -> None:
        """Note an agent that ran in this session (sub-agents too), so `rerun` finds it."""
        self._agents.setdefault(agent.alias, agent)

    async def free_branch_name(self, stem: str) -> str:
        """The first ``stem-N`` that no branch of this session is called."""
        return await self._free_branch_name(stem)

    # --- markdown files (see sessionfile/) ---

    async def export_markdown(self, scope: Scope = "path", branch: str | None = None) -> str:
        """This session as markdown: ``"path"``, ``"related"`` or ``"tree"`` of `branch`.

        `branch` defaults to the active branch. See `ramify.core.sessionfile.export_markdown`.
        """
        # sessionfile builds on Session, so it is imported when first used.
        from .sessionfile import export_markdown

        return await export_markdown(self, scope, branch)

    @classmethod
    async def import_markdown(
        cls,
        store: Store,
        text: str | bytes,
        *,
        title: str | None = None,
        source: str | None = None,
    ) -> Session:
        """Open a session file (an export, or a hand-written chat) as a new session of `store`.

        Raises `SessionFileError`, writing nothing, if the file is damaged. See
        `ramify.core.sessionfile.import_markdown`.
        """
        from .sessionfile import import_markdown

        return await import_markdown(store, text, title=title, source=source)
