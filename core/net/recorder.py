"""`NetRecorder`: a network conversation written to the session tree as it happens.

Every message becomes a node under the message it answers (its `reply_to`), sent by the actor that
wrote it, with the run of that actor (one `Run` per actor per network run, a child of the network's
run). Nodes are written in batches, one transaction each, at most `FLUSH_EVERY` messages or
`FLUSH_AFTER` seconds apart and always when the network stops, so a fast network does not pay a
commit per message. A batch queued behind one still being written takes the next ones in until its
turn comes: when SQLite falls behind, it catches up in fewer, larger transactions rather than a
queue of small ones. At the end the branch moves to the last message, so it shows that message's
ancestry (for a contract net: the request, the CFP, the winning proposal, the accept, the inform);
the other exchanges stay in the tree beside it.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from ..errors import RefConflict
from ..messages import Message
from ..runs import Run, RunStatus
from ..store.node_rows import node_hash
from ..tree import Node

if TYPE_CHECKING:
    from .actor import Actor

__all__ = ["FLUSH_AFTER", "FLUSH_EVERY", "NetRecorder"]

FLUSH_EVERY = 512
FLUSH_AFTER = 0.05

# Message class -> whether it has the `_net_node` slot (a NetMessage), decided once per class.
_HAS_NODE_SLOT: dict[type, bool] = {}


class NetRecorder:
    """Writes one network run's messages as nodes of `session` (see the module doc).

    Args:
        session: the `Session`.
        branch: the branch the run was started on; it moves to the last message at the end.
        run: the network's own run (its actors' runs are its children).
        input_node: the node the run answers (the branch head when it started), or None.
        input_message: that node's message, as the network received it.
    """

    def __init__(
        self,
        session: Any,
        branch: str,
        run: Run,
        input_node: str | None,
        input_message: Message | None,
    ) -> None:
        self.session = session
        self.branch = branch
        self.run = run
        self.input_node = input_node
        self._known: dict[int, str] = {}
        if input_node is not None and input_message is not None:
            self._known[id(input_message)] = input_node
        self._nodes: list[Node] = []
        self._messages: list[Message] = []
        self._runs: dict[int, Run] = {}
        self._last_flush = time.monotonic()
        self._writing: asyncio.Future[None] | None = None
        # The batch of `_writing` while it waits for the batch before it (not started yet).
        # Its third list takes the actors' runs when the network ends before it starts.
        self._waiting: tuple[list[Node], list[Message], list[Run]] | None = None
        self.last_node: str | None = None
        # The network being run (set by `Network.run`); its own messages go on `run`.
        self.top: Actor | None = None

    def run_for(self, actor: Actor) -> Run:
        """The run recording `actor`'s replies in this network run (made on first use): a
        child of its network's run, the network being run having the run it was given."""
        if actor is self.top:
            return self.run
        run = self._runs.get(id(actor))
        if run is None:
            owner = actor.network
            parent_run = self.run if owner is None else self.run_for(owner)
            agent = actor.as_agent()
            self.session.remember_agent(agent)
            run = Run(
                agent=actor.name,
                fingerprint=agent.fingerprint(),
                session_id=self.session.id,
                parent_run_id=parent_run.id,
                pid=self.run.pid,
                host=self.run.host,
            )
            self._runs[id(actor)] = run
        return run

    def node_of(self, message: Message | None) -> str | None:
        """The node hash of a message placed (or received) in this run, if any."""
        if message is None:
            return None
        slotted = _HAS_NODE_SLOT.get(type(message))
        if slotted is None:
            slotted = _HAS_NODE_SLOT[type(message)] = hasattr(type(message), "_net_node")
        # Only a class with the slot is asked: a miss on another goes through pydantic's
        # slow `__getattr__` (the user's message is the parent of every first call).
        node = getattr(message, "_net_node", None) if slotted else None
        if node is not None:
            return str(node)
        return self._known.get(id(message))

    def place(
        self,
        message: Message,
        parent: Message | None,
        sender: str,
        run: Run,
        forwarded_from: Message | None = None,
    ) -> str:
        """Queue `message`'s node; returns its hash at once."""
        parent_node = self.node_of(parent) if parent is not None else self.input_node
        fields = {
            "message": message.hash_key,
            "parent": parent_node,
            "sender": sender,
            "forwarded_from": self.node_of(forwarded_from),
            "run_id": run.id,
            "created_at": time.time(),
        }
        # Every field is a hash we made or a name: hashed as the store re-hashes node rows,
        # without validating a pydantic model per message (a third of a recorded delivery).
        key = node_hash((fields["message"], parent_node, sender, fields["forwarded_from"]))
        node = Node.from_stored_fields(fields, key)
        try:
            object.__setattr__(message, "_net_node", key)
        except AttributeError:  # a plain message has no slot for it
            self._known[id(message)] = key
        self._nodes.append(node)
        self._messages.append(message)
        self.run.output_nodes.append(key)
        self.last_node = key
        return key

    def due(self) -> bool:
        """Whether enough is queued, or long enough, to write a batch now."""
        if not self._nodes:
            return False
        return len(self._nodes) >= FLUSH_EVERY or time.monotonic() - self._last_flush >= FLUSH_AFTER

    def flush_soon(self) -> None:
        """Start writing the queued nodes in the background, after the batch before them.

        The network goes on dispatching while SQLite writes (in its own thread); batches
        stay in order, so every parent is written before its children.
        """
        self._last_flush = time.monotonic()
        if not self._nodes:
            return
        nodes, messages = self._nodes, self._messages
        self._nodes, self._messages = [], []
        waiting = self._waiting
        if waiting is not None:
            # The last batch has not started yet: these go with it, in its transaction.
            waiting[0].extend(nodes)
            waiting[1].extend(messages)
            return
        runs: list[Run] = []
        batch = self._waiting = (nodes, messages, runs)
        previous = self._writing
        store, session_id = self.session.store, self.session.id

        async def write() -> None:
            try:
                if previous is not None:
                    await previous
            finally:
                # From here on the batch is what it is (the store reads it before it awaits).
                if self._waiting is batch:
                    self._waiting = None
            # One transaction in one trip to SQLite's thread (`put_nodes` pays a loop turn
            # per statement, and the network's handlers keep the loop busy).
            await store.put_nodes_and_runs(nodes, messages, runs, session_id=session_id)

        self._writing = asyncio.ensure_future(write())

    async def flush(self) -> None:
        """Write everything queued; raises what a write raised."""
        self.flush_soon()
        writing = self._writing
        if writing is not None:
            self._writing = None
            await asyncio.shield(writing)

    async def finish(self, status: RunStatus, error: str | None = None) -> None:
        """Write what is queued, the actors' runs, and move the branch to the last message."""
        now = time.time()
        runs = list(self._runs.values())
        for run in runs:
            run.status = status
            run.error = error
            run.ended_at = now
        nodes, messages = self._nodes, self._messages
        self._nodes, self._messages = [], []
        try:
            # The last nodes and every actor's run (a contract net ends ~100 at once) in one
            # write: the batch that has not started yet, if any, else one of their own. The
            # runs are handed over to the store, done with here.
            waiting = self._waiting
            if waiting is not None:
                waiting[0].extend(nodes)
                waiting[1].extend(messages)
                waiting[2].extend(runs)
            await self.flush()
            if waiting is None:
                await self.session.save_nodes_and_runs(nodes, messages, runs)
        except BaseException:
            # The actors' runs are stored whatever became of their messages (a failed write
            # above was rolled back whole).
            await self.session.save_runs(runs)
            raise
        if self.last_node is not None:
            await self._move_branch(self.last_node)

    async def _move_branch(self, head: str) -> None:
        store = self.session.store
        try:
            await store.move_ref(
                self.session.id, self.branch, head, expected=self.input_node, reason="network"
            )
        except RefConflict:
            # Someone wrote to the branch meanwhile: the conversation gets a branch of its own.
            name = await self.session.free_branch_name(f"{self.branch}-moved")
            await store.move_ref(self.session.id, name, head, expected=None, reason="network")
