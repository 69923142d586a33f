"""`Network`: actors, who listens to whom, and the loop that delivers their messages.

A network is an actor too, so networks nest: a message addressed to a nested network goes to
its entry actor, its actors talk among themselves, and what they address to anyone outside
it leaves as the nested network's replies. Messages are delivered one at a time, in the order
they were sent (breadth first), each handler awaited before the next delivery: a run is
reproducible, and a delivery costs a few microseconds rather than a task.

Routing a sent message: to its `receiver` when that actor is in the network; with no receiver,
to the actors `connect`ed as listeners of its sender; a receiver outside the network sends it
out (a nested network's reply, or the run's output, e.g. to ``USER``). An actor that cannot
receive the message's type, or whose handler raises, answers with a `NetError` placed under
the message (delivered to the sender only if it has a ``receive_net_error`` handler). The run
stops when the queue is empty or its termination condition fires; the reason becomes a
`Stopped` message. Without a condition a run stops after `DEFAULT_MAX_MESSAGES`, so a cycle
of actors can never run forever.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, ClassVar

from ..messages import Message
from ..runs import RunStatus
from ..tree import USER
from .actor import Actor
from .conversation import Listener, NetResult, Sink, _Conversation
from .directory import Directory
from .messages import NetMessage
from .old_objects import old_objects_held
from .termination import MaxMessages, TerminationCondition

if TYPE_CHECKING:
    from ..agents import Agent
    from .recorder import NetRecorder

__all__ = ["DEFAULT_MAX_MESSAGES", "NetResult", "Network", "Sink"]

DEFAULT_MAX_MESSAGES = 10_000


class Network(Actor):
    """Actors and who listens to whom; itself an actor, so networks nest.

    Args:
        name: the network's name (its address when nested, the sender of its notices).
        actors: the actors, in order; the first is the entry unless `entry` names another.
        entry: the actor that receives what is sent to the network itself (and the user's
            messages when the network runs as an agent).
        stop: the termination condition; default ``MaxMessages(DEFAULT_MAX_MESSAGES)``.
    """

    is_network: ClassVar[bool] = True

    def __init__(
        self,
        name: str = "network",
        actors: Iterable[Actor] = (),
        *,
        entry: str | None = None,
        stop: TerminationCondition | None = None,
    ) -> None:
        super().__init__(name)
        self.directory_ = Directory()
        self._edges: dict[str, list[Actor]] = {}
        self._listeners: dict[Any, list[Listener]] = {}
        self._receive_listeners: list[Listener] = []
        self._entry = entry
        self.stop_condition: TerminationCondition = stop or MaxMessages(DEFAULT_MAX_MESSAGES)
        self._current: _Conversation | None = None
        for actor in actors:
            self.add(actor)

    @property
    def directory(self) -> Directory:
        """This network's own actors (a nested network is one of them)."""
        return self.directory_

    @property
    def entry(self) -> Actor:
        """The actor that receives messages sent to the network itself."""
        if self._entry is not None:
            return self.directory_[self._entry]
        for actor in self.directory_:
            return actor
        raise ValueError(f"network {self.name} has no actors")

    def add(self, actor: Actor) -> Actor:
        """Add `actor` (its name must be free here); returns it."""
        if actor.network is not None and actor.network is not self:
            raise ValueError(f"{actor.name} already belongs to network {actor.network.name}")
        self.directory_.add(actor)
        actor.network = self
        return actor

    def connect(self, source: Actor | str, *listeners: Actor | str) -> None:
        """`listeners` receive what `source` sends with no receiver (an edge of the graph)."""
        name = source if isinstance(source, str) else source.name
        found = [self.directory_[item] if isinstance(item, str) else item for item in listeners]
        self._edges.setdefault(name, []).extend(found)

    def listen(self, key: Any, callback: Listener) -> Listener:
        """Call `callback(event)` for events of class `key` that actors `emit`, or
        `callback(actor, message)` before each delivery when `key` is ``"receive"``."""
        if key == "receive":
            self._receive_listeners.append(callback)
        else:
            self._listeners.setdefault(key, []).append(callback)
        return callback

    def emit(self, event: Any) -> None:
        """Give `event` to the listeners of its class (and bases), here and in outer networks."""
        for cls in type(event).__mro__:
            for callback in self._listeners.get(cls, ()):
                self._call(callback, event)
        if self.network is not None:
            self.network.emit(event)

    def _notify_receive(self, actor: Actor, message: Message) -> None:
        for callback in self._receive_listeners:
            self._call(callback, actor, message)

    def _call(self, callback: Listener, *args: Any) -> None:
        outcome = callback(*args)
        if inspect.isawaitable(outcome):
            conversation = self._current
            future = asyncio.ensure_future(outcome)
            if conversation is not None:
                conversation.pending.add(future)
                future.add_done_callback(conversation.pending.discard)

    def can_receive(self, message_type: type) -> bool:
        """Whether the entry actor can receive `message_type`."""
        return any(True for _ in self.directory_) and self.entry.can_receive(message_type)

    async def run(
        self,
        *messages: Message | str,
        keep_messages: bool = True,
        sink: Sink | None = None,
        recorder: NetRecorder | None = None,
    ) -> NetResult:
        """Deliver `messages` (a str is a message to the entry) and run until done or stopped.

        A `NetMessage` goes to its receiver; anything else to the entry actor, or to the actor
        its text starts by naming (``@name ...``): how a person addresses one actor.
        """
        if self._current is not None:
            raise RuntimeError(f"network {self.name} is already running a conversation")
        conversation = _Conversation(
            self, recorder=recorder, sink=sink, outer=None, keep_messages=keep_messages
        )
        self._current = conversation
        if recorder is not None:
            recorder.top = self
        status = RunStatus.DONE
        # A recorded run keeps all it makes: the collector passes over the older objects.
        with old_objects_held() if recorder is not None else nullcontext():
            try:
                for message in messages:
                    self._start(conversation, message)
                return await conversation.run()
            except asyncio.CancelledError:
                status = RunStatus.CANCELLED
                if recorder is not None:
                    # Cancelled from outside (Esc in the IDE): the tree says so where it stopped.
                    conversation.record_stop("cancelled")
                raise
            except BaseException:
                status = RunStatus.ERROR
                raise
            finally:
                self._current = None
                if recorder is not None:
                    await recorder.finish(status)

    def _start(self, conversation: _Conversation, message: Message | str) -> None:
        if isinstance(message, str):
            message = NetMessage(text=message, sender=USER, receiver=self.entry.name)
        if isinstance(message, NetMessage) and message.receiver in self.directory_:
            if not getattr(message, "_net_sent", False) and conversation.recorder is None:
                conversation.place(message, self, None)
            conversation.route(message)
        else:
            conversation.queue.append((self.addressed(message.text) or self.entry, message))

    def addressed(self, text: str) -> Actor | None:
        """The actor a person's message names first (``@contractor_2 how much?``), if any."""
        if not text.startswith("@"):
            return None
        name = text[1:].split(maxsplit=1)[0] if len(text) > 1 else ""
        return self.directory_.get(name.rstrip(":,"))

    async def _nested(self, message: Message, outer: _Conversation) -> None:
        """Deliver `message` (sent to this network) inside it; send its replies out."""
        if self._current is not None:
            raise RuntimeError(f"network {self.name} is already running a conversation")
        inner = _Conversation(
            self,
            recorder=outer.recorder,
            sink=outer.sink,
            outer=outer,
            keep_messages=outer.keep,
        )
        self._current = inner
        try:
            inner.queue.append((self.entry, message))
            result = await inner.run()
        finally:
            self._current = None
        outer.result.errors.extend(result.errors)
        if outer.keep:
            outer.result.messages.extend(result.messages)
        for leaving in inner.outward:
            if outer.result.stop_reason is None:
                outer.route(leaving)

    def as_agent(self) -> Agent:
        """This network as a Ramify agent: the last input message goes to the entry actor,
        every message streams out as a reply, and in a session each one is a node."""
        if self._agent is None:
            from .as_agent import network_agent

            self._agent = network_agent(self)
        return self._agent
