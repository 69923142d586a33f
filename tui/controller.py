"""The session layer the IDE talks to: what is shown, what is selected, and every tree action.

The app never touches the store: it asks this controller, which speaks to a `Session`. The
controller imports no Textual, so its logic is tested without an app. It keeps the session's tree
shape (parent -> children) in memory, loaded once and grown as nodes arrive, so the tree pane,
the `n/m` sibling indicators and navigation never query the store per message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ramify.core import (
    USER,
    Agent,
    ErrorMessage,
    Message,
    Node,
    Session,
    SessionSummary,
    Store,
    UserMessage,
)
from ramify.core.agents.history import render_markdown_history
from ramify.core.llm.roles import tool_calls_of
from ramify.core.recording import RecordedReplies
from ramify.core.tools.interrupts import InterruptMessage
from ramify.tui.view_models import (
    BranchRun,
    BranchSummary,
    ChainIndex,
    MessageStatus,
    MessageView,
    ToolCallView,
    ToolStatus,
    Usage,
    group_runs,
    label_text,
    slug,
)

DETACHED = ""
"""The branch name while the path shown ends at a node no branch points at (after an undo)."""

_CODE_FENCE = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def code_blocks(text: str) -> list[str]:
    """The bodies of the fenced code blocks in a markdown text, in order."""
    return [match.group(2) for match in _CODE_FENCE.finditer(text)]


def message_status(message: Message) -> MessageStatus:
    """How the UI labels a stored message: error, cancelled partial, or done."""
    if isinstance(message, ErrorMessage):
        return MessageStatus.ERROR
    if getattr(message, "cancelled", False):
        return MessageStatus.CANCELLED
    return MessageStatus.DONE


def format_time(timestamp: float | None) -> str | None:
    """`2026-11-20 14:03` in local time, or None."""
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One full-text search result: the node, a line of its text, and where it lives."""

    node_hash: str
    sender: str
    snippet: str
    branch: str


SNIPPET_CHARS = 200
"""How much of a run's first message the tree pane keeps for its label."""


class SessionController:
    """One open session as the IDE sees it.

    State: the branch checked out (or `DETACHED`), the path shown (root to the branch head), the
    selected index on that path, and the agent that receives what the user sends.

    Args:
        session: the open session.
        target: the agent that receives sent messages.
        agents: other agents the user can switch to or rerun with, by alias.
    """

    def __init__(
        self, session: Session, target: Agent, agents: Mapping[str, Agent] | None = None
    ) -> None:
        self.session = session
        self.target = target
        self.agents: dict[str, Agent] = {target.alias: target, **(agents or {})}
        self.branch: str = session.active_branch
        self.path: list[str] = []
        self.selected: int = -1
        self._children: dict[str, list[str]] = {}
        self._parent: dict[str, str | None] = {}
        self._message_of: dict[str, str] = {}
        self._heads: dict[str, str] = {}
        self._chains = ChainIndex(self._children)
        # Run labels by first node: a node's message never changes, so each is read once.
        self._snippets: dict[str, str] = {}
        self._head_labels: dict[str, str] = {}

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        store: Store,
        session_id: str | None,
        target: Agent,
        agents: Mapping[str, Agent] | None = None,
        *,
        title: str = "",
        create: bool = False,
    ) -> SessionController:
        """Open `session_id`, or the most recently used session, or a new one when none exist
        (or when `create` is set).

        A new session is stored on its first message, so one left empty leaves no trace; that
        message titles it unless `title` is given.
        """
        if session_id is None and not create:
            sessions = await store.list_sessions()
            if sessions:
                session_id = max(sessions, key=lambda record: record.updated_at).id
        if session_id is None:
            session = await Session.create(store, title=title, lazy=True)
        else:
            session = await Session.open(store, session_id)
        controller = cls(session, target, agents)
        await controller.load()
        return controller

    @staticmethod
    async def sessions(store: Store) -> list[SessionSummary]:
        """The sessions in `store` with their sizes and first words, most recently used first."""
        return await store.session_summaries()

    async def rename_session(self, session_id: str, title: str) -> None:
        """Retitle a session of this store (this one or another)."""
        title = " ".join(title.split())
        if not title:
            raise ValueError("a session title cannot be blank")
        if session_id == self.session.id:
            await self.session.set_title(title)
        else:
            await self.store.rename_session(session_id, title)

    async def delete_session(self, session_id: str) -> None:
        """Delete a session of this store; messages other sessions share stay with them."""
        if session_id == self.session.id:
            await self.session.delete()
        else:
            await self.store.delete_session(session_id)

    @property
    def store(self) -> Store:
        """The store under the session (for the app's lifetime management only)."""
        return self.session.store

    async def load(self) -> None:
        """(Re)read the tree shape, the branch heads and the checked-out path."""
        self._children.clear()
        self._parent.clear()
        self._message_of.clear()
        self._chains.forked()
        await self._load_shape()
        await self.checkout(self.branch or self.session.active_branch, remember=False)

    async def _load_shape(self) -> None:
        refs = await self.session.branches()
        self._heads = {ref.name: ref.head for ref in refs}
        nodes = await self.session.store.session_nodes(self.session.id)
        # Siblings read oldest first, as `Session.children` gives them.
        nodes.sort(key=lambda node: node.created_at or 0.0)
        self._absorb(nodes)

    def _add(self, node_hash: str, parent: str | None, message: str) -> None:
        if node_hash in self._parent:
            return
        self._parent[node_hash] = parent
        self._message_of[node_hash] = message
        if parent is not None:
            siblings = self._children.setdefault(parent, [])
            siblings.append(node_hash)
            if len(siblings) == 2:
                self._chains.forked()

    def _absorb(self, nodes: list[Node]) -> None:
        for node in nodes:
            self._add(node.hash_key, node.parent, node.message)

    async def absorb_output(self, node_hashes: Sequence[str]) -> None:
        """Take in the nodes a run wrote off its branch (a network's other exchanges: the
        proposals that lost, the rejects), so the tree pane shows them."""
        for node_hash in node_hashes:
            if node_hash not in self._parent:
                self._absorb(await self._unknown_ancestry(node_hash))

    async def refresh(self) -> bool:
        """Catch up with nodes and ref moves made since the last look; True if the path grew or
        changed."""
        refs = await self.session.branches()
        moved = [ref for ref in refs if self._heads.get(ref.name) != ref.head]
        self._heads = {ref.name: ref.head for ref in refs}
        for ref in moved:
            if ref.head not in self._parent:
                self._absorb(await self._unknown_ancestry(ref.head))
        if self.branch == DETACHED or self.branch not in self._heads:
            return False
        head = self._heads[self.branch]
        if self.path and self.path[-1] == head:
            return False
        following = self.selected == len(self.path) - 1
        self.path = self._path_to(head)
        if following or self.selected >= len(self.path):
            self.selected = len(self.path) - 1
        return True

    async def outside_version(self) -> int | None:
        """The store's change counter, which moves when another process commits (None: no
        other process can write to it)."""
        return await self.session.store.data_version()

    async def refresh_outside(self) -> list[str]:
        """Catch up after another process wrote to the store: re-read the session's title and
        heads, grow the tree and path, and return the branches it moved (or removed)."""
        if self.session.stored:
            await self.session.reload()
        before = self._heads
        await self.refresh()
        names = set(before) | set(self._heads)
        changed = sorted(name for name in names if before.get(name) != self._heads.get(name))
        return [
            name for name in changed if not self.session.wrote_head(name, self._heads.get(name))
        ]

    async def _unknown_ancestry(self, head: str) -> list[Node]:
        """`head` and its ancestors not absorbed yet, root-most first.

        A branch head usually moved by a node or two: reading up to the first known node costs
        that many lookups, where `Session.path` reads the whole path (~50 ms at 10,000 messages).
        """
        found: list[Node] = []
        current: str | None = head
        while current is not None and current not in self._parent:
            if len(found) == 64:
                return await self.session.path(head)
            node = await self.session.resolve(current)
            found.append(node)
            current = node.parent
        found.reverse()
        return found

    def _path_to(self, node_hash: str) -> list[str]:
        # A head usually moved down from the current path's end: walk up to it, not to the root.
        end = self.path[-1] if self.path else None
        path: list[str] = []
        current: str | None = node_hash
        while current is not None:
            if current == end:
                path.reverse()
                return self.path + path
            path.append(current)
            current = self._parent.get(current)
        path.reverse()
        return path

    # --- what is shown ---------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.session.title or "new session"

    @property
    def heads(self) -> dict[str, str]:
        """Branch name -> head node hash."""
        return dict(self._heads)

    @property
    def selected_hash(self) -> str | None:
        """Hash of the selected node, or None on an empty path."""
        return self.path[self.selected] if 0 <= self.selected < len(self.path) else None

    @property
    def node_count(self) -> int:
        return len(self._parent)

    def siblings(self, node_hash: str) -> list[str]:
        """The children of `node_hash`'s parent (the roots, for a root), oldest first."""
        parent = self._parent.get(node_hash)
        if parent is None:
            return [n for n, p in self._parent.items() if p is None]
        return self._children.get(parent, [])

    def children_of(self, node_hash: str) -> list[str]:
        return list(self._children.get(node_hash, ()))

    def is_branch_point(self, node_hash: str) -> bool:
        return len(self._children.get(node_hash, ())) > 1

    async def views(self, start: int, stop: int) -> list[MessageView]:
        """Messages `[start, stop)` of the shown path, ready for the transcript."""
        count = len(self.path[start:stop])
        if not count:
            return []
        # One node more: an unanswered approval right after a model's calls says they wait.
        hashes = self.path[start : start + count + 1]
        nodes = [await self.session.resolve(h) for h in hashes]
        messages = await self.session.messages(nodes)
        views = []
        for index in range(count):
            after = messages[index + 1] if index + 1 < len(messages) else None
            waiting: frozenset[str] = frozenset()
            if (
                isinstance(after, InterruptMessage)
                and after.kind == "approval"
                and not self._children.get(hashes[index + 1])
            ):
                waiting = frozenset(call.id for call in after.calls)
            views.append(self.view_of(nodes[index], messages[index], waiting=waiting))
        return views

    def view_of(
        self, node: Node, message: Message, *, waiting: frozenset[str] = frozenset()
    ) -> MessageView:
        """The transcript's view of one node; `waiting`: ids of its tool calls an unanswered
        approval holds."""
        siblings = self.siblings(node.hash_key)
        index = siblings.index(node.hash_key) + 1 if node.hash_key in siblings else 1
        calls = tool_calls_of(message)
        text = message.text
        if not text and not calls and message.role != "tool":
            # A typed message without text (a network's `Bid`, say) shows its data rather
            # than an empty box; tool calls and results have their own lines.
            text = str(message)
        return MessageView(
            node_hash=node.hash_key,
            sender=node.sender,
            role=message.role or "assistant",
            text=text,
            model=getattr(message, "model", None),
            time=format_time(node.created_at),
            sibling_index=index,
            sibling_count=max(len(siblings), 1),
            status=message_status(message),
            usage=Usage(
                getattr(message, "input_tokens", None), getattr(message, "output_tokens", None)
            ),
            forwarded=node.forwarded_from is not None,
            receiver=getattr(message, "receiver", None) or None,
            tool_calls=tuple(
                ToolCallView(
                    str(call.name),
                    str(call.arguments),
                    status=ToolStatus.WAITING if call.id in waiting else None,
                )
                for call in calls
            ),
            tool_name=str(getattr(message, "name", "tool")) if message.role == "tool" else None,
            tool_failed=bool(getattr(message, "is_error", False)),
        )

    async def tree_runs(self) -> tuple[BranchRun, ...]:
        """The tree pane's runs, with a snippet of each run's first message."""
        roots = [n for n, p in self._parent.items() if p is None]
        # Runs start at the roots and at the children of branch points: one grouping pass, not
        # two (each is a walk over the whole tree: ~80 ms at 100,000 nodes).
        firsts = roots + [kid for kids in self._children.values() if len(kids) > 1 for kid in kids]
        snippets = self._snippets
        unread = [first for first in firsts if first not in snippets]
        if unread:
            found = await self.session.messages_by_hash([self._message_of[f] for f in unread])
            # The label shows ~24 characters; a prefix keeps the cache small.
            snippets.update((f, _row_label(found[self._message_of[f]])) for f in unread)
        head = self.path[-1] if self.path else None
        await self._read_head_labels()
        return group_runs(
            roots,
            self._children,
            self._heads,
            head,
            snippets,
            on_path=set(self.path),
            chains=self._chains,
        )

    async def _read_head_labels(self) -> None:
        """Labels of the branch heads' messages (where each branch ends), read once per head."""
        unread = [head for head in set(self._heads.values()) if head not in self._head_labels]
        if unread:
            found = await self.session.messages_by_hash([self._message_of[h] for h in unread])
            self._head_labels.update((h, _row_label(found[self._message_of[h]])) for h in unread)

    def head_label(self, branch: str) -> str:
        """Where branch `branch` ends: a label of its head message ("" before `tree_runs`)."""
        return self._head_labels.get(self._heads.get(branch, ""), "")

    def depth(self, node_hash: str) -> int:
        """Messages from the root down to `node_hash`, itself included."""
        count = 0
        current: str | None = node_hash
        while current is not None:
            count += 1
            current = self._parent.get(current)
        return count

    async def branch_summaries(self) -> list[BranchSummary]:
        """Every branch with its last message, length and last change, most recent first."""
        await self._read_head_labels()
        moved: dict[str, float] = {}
        for entry in await self.session.reflog():
            moved[entry.name] = max(entry.at, moved.get(entry.name, 0.0))
        summaries = [
            BranchSummary(name, self._head_labels.get(head, ""), self.depth(head),
                          format_time(moved.get(name)))
            for name, head in self._heads.items()
        ]  # fmt: skip
        summaries.sort(key=lambda summary: (-moved.get(summary.name, 0.0), summary.name))
        return summaries

    async def propose_branch_name(self, node_hash: str, prefix: str = "") -> str:
        """A free branch name from `prefix` and the first words of a message (`edit-what-is-x`,
        then `edit-what-is-x-2`)."""
        stem = "-".join(part for part in (prefix, slug(await self.text_of(node_hash))) if part)
        stem = stem or "branch"
        taken = set(self._heads) | {ref.name for ref in await self.session.branches()}
        if stem not in taken:
            return stem
        number = 2
        while f"{stem}-{number}" in taken:
            number += 1
        return f"{stem}-{number}"

    async def inspect(self, node_hash: str) -> dict[str, Any]:
        """Everything known about a node, as plain data for the inspector."""
        node = await self.session.resolve(node_hash)
        message = await self.session.message(node)
        data: dict[str, Any] = {
            "hash": node.hash_key,
            "parent": node.parent,
            "sender": node.sender,
            "role": message.role,
            "model": getattr(message, "model", None),
            "run": node.run_id,
            "time": format_time(node.created_at),
            "forwarded_from": node.forwarded_from,
            "message": message.to_data(),
        }
        usage = {
            key: getattr(message, key)
            for key in ("input_tokens", "output_tokens")
            if getattr(message, key, None) is not None
        }
        if usage:
            data["usage"] = usage
        if node.run_id:
            try:
                run = await self.session.get_run(node.run_id)
            except Exception:
                run = None
            if run is not None:
                data["run_status"] = run.status.value
                data["run_agent"] = run.agent
        return data

    @staticmethod
    def status_of(message: Message) -> MessageStatus:
        """How a stored message is labelled (error, cancelled, done)."""
        return message_status(message)

    async def text_of(self, node_hash: str) -> str:
        return (await self.session.message(node_hash)).text

    # --- checking out and moving around ----------------------------------------------------

    async def checkout(self, branch: str, *, remember: bool = True) -> None:
        """Show `branch` (root to head) and select its head."""
        if branch not in self._heads:
            await self.refresh()  # made by someone else since we last looked?
        head = self._heads.get(branch)
        self.branch = branch
        if head is None and self._heads:
            # The remembered branch is gone: fall back to main, else the first branch.
            name = "main" if "main" in self._heads else sorted(self._heads)[0]
            self.branch, head = name, self._heads[name]
        self.path = self._path_to(head) if head is not None else []
        self.selected = len(self.path) - 1
        if remember and self.branch and self.branch != self.session.active_branch:
            await self.session.set_active_branch(self.branch)

    def _leaf_below(self, node_hash: str) -> str:
        """Follow the remembered child (else the newest child) down to a leaf."""
        remembered = self.session.record.remembered_children
        current = node_hash
        while kids := self._children.get(current):
            chosen = remembered.get(current)
            current = chosen if chosen in kids else kids[-1]
        return current

    def branch_at(self, node_hash: str) -> str:
        """The branch whose head is `node_hash`, preferring the current one, then main."""
        names = [name for name, head in self._heads.items() if head == node_hash]
        if not names:
            return DETACHED
        for preferred in (self.branch, "main"):
            if preferred in names:
                return preferred
        return sorted(names)[0]

    async def show_node(self, node_hash: str) -> None:
        """Show the path through `node_hash` down to a leaf, selecting `node_hash`.

        The branch checked out becomes the one whose head is that leaf (detached when none);
        the choice of child at each branch point is remembered for the next visit.
        """
        if node_hash not in self._parent:
            node = await self.session.resolve(node_hash)
            self._absorb(await self.session.path(node.hash_key))
            node_hash = node.hash_key
        # Stop at a branch head on the way down when it is the branch we are on.
        leaf = self._leaf_below(node_hash)
        path = self._path_to(leaf)
        current_head = self._heads.get(self.branch)
        if (
            current_head is not None
            and current_head in path
            and node_hash in self._path_to(current_head)
        ):
            leaf, path = current_head, self._path_to(current_head)
        self.path = path
        self.selected = path.index(node_hash)
        self.branch = self.branch_at(leaf)
        if self.branch and self.branch != self.session.active_branch:
            await self.session.set_active_branch(self.branch)
        parent = self._parent.get(node_hash)
        if parent is not None and self.is_branch_point(parent):
            await self.session.remember_child(parent, node_hash)

    def select(self, index: int) -> bool:
        """Select path index `index` (clamped); True if the selection moved."""
        index = max(0, min(index, len(self.path) - 1))
        moved = index != self.selected
        self.selected = index
        return moved

    def select_hash(self, node_hash: str) -> bool:
        if node_hash in self.path:
            return self.select(self.path.index(node_hash))
        return False

    async def nav_parent(self) -> bool:
        return self.select(self.selected - 1)

    async def nav_child(self) -> bool:
        if self.selected < len(self.path) - 1:
            return self.select(self.selected + 1)
        current = self.selected_hash
        kids = self._children.get(current, []) if current else []
        if not kids:
            return False
        remembered = self.session.record.remembered_children.get(current or "")
        await self.show_node(remembered if remembered in kids else kids[-1])
        return True

    async def nav_sibling(self, step: int) -> bool:
        current = self.selected_hash
        if current is None:
            return False
        siblings = self.siblings(current)
        index = siblings.index(current) + step
        if not 0 <= index < len(siblings):
            return False
        await self.show_node(siblings[index])
        return True

    def nav_branch_point(self, step: int) -> bool:
        """Select the next (`step` 1) or previous (-1) node on the path that has several
        children."""
        index = self.selected + step
        while 0 <= index < len(self.path):
            if self.is_branch_point(self.path[index]):
                return self.select(index)
            index += step
        return False

    # --- changing the tree -------------------------------------------------------------------

    async def _ensure_branch(self) -> str:
        """The branch to write to; a detached path gets a new branch at its end first."""
        if self.branch and self.branch in self._heads:
            return self.branch
        name = self.branch or await self.free_branch_name("branch")
        if self.path:
            await self.session.fork(self.path[-1], name)
        self.branch = name
        await self.session.set_active_branch(name)
        await self.refresh()
        return name

    async def free_branch_name(self, stem: str) -> str:
        taken = set(self._heads) | {ref.name for ref in await self.session.branches()}
        number = 1
        while f"{stem}-{number}" in taken:
            number += 1
        return f"{stem}-{number}"

    async def send(self, text: str, agent: Agent | None = None) -> RecordedReplies:
        """Append the user's message to the checked-out branch and ask the target agent."""
        branch = await self._ensure_branch()
        node = await self.session.append(UserMessage(text=text), sender=USER, branch=branch)
        self._absorb([node])
        await self.refresh()
        self.selected = len(self.path) - 1
        return self.session.inquire(agent or self.target, branch)

    async def fork(self, name: str) -> str:
        """A new branch at the selected node, checked out."""
        node = self.selected_hash
        if node is None:
            raise ValueError("nothing to fork: the session is empty")
        await self.session.fork(node, name)
        await self.refresh()
        await self.checkout(name)
        return name

    async def edit(
        self, new_text: str, agent: Agent | None = None, *, name: str | None = None
    ) -> RecordedReplies:
        """Edit the selected user message into a sibling on new branch `name` (a free `edit-N`
        when None), and resend it."""
        node = self.selected_hash
        if node is None:
            raise ValueError("nothing selected")
        original = await self.session.resolve(node)
        message = await self.session.message(original)
        if message.role != "user":
            raise ValueError("only your own messages can be edited; rerun an agent's instead")
        name = name or await self.free_branch_name("edit")
        await self.session.edit(original, UserMessage(text=new_text), branch=name)
        await self.refresh()
        await self.checkout(name)
        return self.session.inquire(agent or self.target, name)

    async def propose_rerun_name(self, agent_name: str | None = None) -> str:
        """A free name for the branch a rerun of the selected reply would make: `rerun-` (or
        `rerun-<agent>-` for another agent) and the reply's first words. Raises ValueError
        when the selection is no agent's reply."""
        original = await self._rerun_original()
        prefix = "rerun" if agent_name is None else f"rerun-{slug(agent_name, limit=24)}"
        return await self.propose_branch_name(original.hash_key, prefix)

    async def rerun(
        self, agent: Agent | None = None, *, caller: bool = False, name: str | None = None
    ) -> RecordedReplies:
        """Rerun the run that produced the selected agent message (its own agent's run, or
        with `caller` the run that called it); siblings on branch `name` (a free `rerun-N`
        when None), made only when a reply differs."""
        original = await self._rerun_original()
        if agent is None and self.session.known_agent(original.sender) is None:
            known = self.agents.get(original.sender)
            if known is None:
                # Not loaded in this process: the target reruns the whole recorded run.
                agent, caller = self.target, True
            else:
                agent = known
        name = name or await self.free_branch_name("rerun")
        return self.session.rerun(original, agent, branch=name, caller=caller)

    async def _rerun_original(self) -> Node:
        node = self.selected_hash
        if node is None:
            raise ValueError("nothing selected")
        original = await self.session.resolve(node)
        if original.sender == USER:
            raise ValueError("select an agent's message to rerun (edit resends your own)")
        return original

    async def rerun_caller(self) -> tuple[str, str] | None:
        """(author, caller) when the selected reply was written by a sub-agent (one expert
        of a team) inside another agent's run, else None."""
        node = self.selected_hash
        if node is None:
            return None
        original = await self.session.resolve(node)
        if original.run_id is None or original.sender == USER:
            return None
        run = await self.session.get_run(original.run_id)
        return None if run.agent == original.sender else (original.sender, run.agent)

    async def forward_to_branch(self, branch: str) -> str:
        """Append the selected message to the end of `branch` (a forwarded copy)."""
        node = self.selected_hash
        if node is None:
            raise ValueError("nothing selected")
        if branch not in self._heads:
            raise ValueError(f"there is no branch {branch!r}")
        forwarded = await self.session.forward(node, branch)
        self._absorb([forwarded])
        await self.refresh()
        return forwarded.hash_key

    async def forward_to_agent(self, agent: Agent) -> RecordedReplies:
        """Ask `agent` about the conversation up to the selected message, on a new branch."""
        node = self.selected_hash
        if node is None:
            raise ValueError("nothing selected")
        name = await self.free_branch_name(f"to-{_slug(agent.alias)}")
        await self.session.fork(node, name)
        await self.refresh()
        await self.checkout(name)
        return self.session.inquire(agent, name)

    async def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Full-text hits over every branch, each with the branch it would open on."""
        nodes = await self.session.search(query, limit=limit)
        self._absorb(nodes)
        if not nodes:
            return []
        messages = await self.session.messages(nodes)
        hits = []
        for node, message in zip(nodes, messages, strict=True):
            leaf = self._leaf_below(node.hash_key)
            hits.append(
                SearchHit(node.hash_key, node.sender, _line_with(message.text, query),
                          self.branch_at(leaf) or "(detached)")
            )  # fmt: skip
        return hits

    async def undo(self) -> None:
        """Move the checked-out branch back one step (its nodes stay in the tree)."""
        if not self.branch:
            raise ValueError("no branch is checked out")
        await self.session.undo(self.branch)
        await self.refresh()
        await self.checkout(self.branch, remember=False)

    async def set_title(self, title: str) -> None:
        await self.rename_session(self.session.id, title)

    async def rename_branch(self, name: str, new_name: str) -> None:
        """Rename a branch; the checked-out one stays checked out under its new name."""
        new_name = new_name.strip()
        if not new_name or any(char.isspace() or not char.isprintable() for char in new_name):
            raise ValueError("a branch name needs letters, digits or signs, and no spaces")
        await self.session.rename_branch(name, new_name)
        if self.branch == name:
            self.branch = new_name
        await self.refresh()

    async def delete_branch(self, name: str) -> None:
        """Delete a branch (never the session's last); the nodes only it reached leave the tree.

        When it was checked out, main (else the first branch) is checked out instead.
        """
        if set(self._heads) <= {name}:
            raise ValueError(
                f"{name!r} is the session's only branch: delete the session instead (Ctrl+O, d)"
            )
        await self.session.delete_branch(name)
        if self.branch == name:
            self.branch = DETACHED
        await self.load()
        if self.branch != self.session.active_branch:
            await self.session.set_active_branch(self.branch)

    def set_target(self, agent: Agent) -> None:
        self.agents.setdefault(agent.alias, agent)
        self.target = agent

    async def path_markdown(self) -> str:
        """The shown path as markdown in the seed's role-heading format, which `ramify open`
        reads back as a session."""
        nodes = [await self.session.resolve(h) for h in self.path]
        return render_markdown_history(await self.session.messages(nodes))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "agent"


def _line_with(text: str, query: str, width: int = 80) -> str:
    words = [w.lower() for w in query.split()]
    for line in text.splitlines():
        if any(w in line.lower() for w in words):
            return line.strip()[:width]
    return " ".join(text.split())[:width]


def _row_label(message: Message) -> str:
    """A tree row's label: the start of the message, after ``sender → receiver:`` for a
    network message, so the tree shows who said what to whom."""
    text = label_text(message.text[:SNIPPET_CHARS])
    receiver = getattr(message, "receiver", None)
    if isinstance(receiver, str) and receiver:
        return f"{getattr(message, 'sender', '')} → {receiver}: {text}"
    return text
