"""One run of one network: the queue of deliveries, the loop, routing, and stopping.

`Network.run` (and a nested network's delivery) makes a `_Conversation`; see `network` for
the rules it follows. Kept apart from `Network`, which is the actors, their edges and the
public surface.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..messages import Message
from ..promising import MessagePromise
from ..tree import USER
from .actor import AWAITED, GENERATOR, Actor
from .messages import NetError, NetMessage, Stopped
from .termination import NetState, TerminationCondition

if TYPE_CHECKING:
    from .network import Network
    from .recorder import NetRecorder

__all__ = ["Listener", "NetResult", "Sink"]

Sink = Callable[[Message | MessagePromise, str], None]
"""Receives every message (or live promise) as it is sent, with the sender's name."""

Listener = Callable[..., Any]


@dataclass
class NetResult:
    """How a network run went.

    Attributes:
        messages: every message sent, in order (kept only with ``keep_messages=True``).
        outputs: messages that left the network (addressed outside it, or to no one).
        errors: the `NetError`s placed.
        stop_reason: why it stopped early (a termination condition), None if it ran dry.
        count: how many messages were sent.
    """

    messages: list[Message] = field(default_factory=list)
    outputs: list[Message] = field(default_factory=list)
    errors: list[NetError] = field(default_factory=list)
    stop_reason: str | None = None
    count: int = 0


# What a handler handed back, by class, decided once per class: isinstance against pydantic
# models goes through an ABC metaclass and cost more than the rest of a delivery. Bits: a
# kind in the low bits, then whether it is a NetMessage, a NetError, has `output_tokens`.
_PLAIN, _PROMISE, _TEXT, _OTHER = 1, 2, 3, 4
_NET, _ERROR, _HAS_TOKENS = 8, 16, 32

_KINDS: dict[type, int] = {}


def _kind_of(cls: type) -> int:
    if issubclass(cls, MessagePromise):
        kind = _PROMISE
    elif issubclass(cls, str):
        kind = _TEXT
    elif issubclass(cls, Message):
        kind = _PLAIN
        if issubclass(cls, NetMessage):
            kind |= _NET
        if issubclass(cls, NetError):
            kind |= _ERROR
        if "output_tokens" in cls.model_fields:
            kind |= _HAS_TOKENS
    else:
        kind = _OTHER
    _KINDS[cls] = kind
    return kind


class _Conversation:
    """One run of one network: its queue, state, and where messages go as they are sent."""

    def __init__(
        self,
        network: Network,
        *,
        recorder: NetRecorder | None,
        sink: Sink | None,
        outer: _Conversation | None,
        keep_messages: bool,
    ) -> None:
        self.network = network
        self.queue: deque[tuple[Actor, Message]] = deque()
        self.state = NetState()
        self.condition = network.stop_condition
        self.recorder = recorder
        self.sink = sink
        self.outer = outer
        self.keep = keep_messages
        self.result = NetResult()
        self.outward: list[Message] = []
        self.handling: Message | None = None
        self.actor: Actor | None = None
        self.last: Message | None = None
        self.task: asyncio.Task[None] | None = None
        self.pending: set[asyncio.Future[Any]] = set()
        # Reset before anything is placed: the first messages are checked too.
        self.condition.reset()
        self.condition.watch(self.stop_now)

    # --- sending ---

    def tell(self, actor: Actor, message: NetMessage) -> None:
        placed = self.place(message, actor, self.handling)
        if placed is not None:
            self.route(placed)

    async def send(self, item: Any, actor: Actor, handled: Message | None) -> None:
        kind = _KINDS.get(type(item)) or _kind_of(type(item))
        if kind == _PROMISE:
            if self.sink is not None:
                self.sink(item, actor.name)
            message: Any = await item
            placed = self.place(message, actor, handled, streamed=True)
        else:
            if kind == _TEXT:
                item = NetMessage.reply_to(handled, text=item) if handled else NetMessage(text=item)
            elif kind == _OTHER:
                raise TypeError(
                    f"{actor.name} replied {type(item).__name__}; a handler returns messages, "
                    "str, MessagePromise, a list of them, or None"
                )
            placed = self.place(item, actor, handled)
        if placed is not None:
            self.route(placed)

    def place(
        self, message: Message, actor: Actor, handled: Message | None, *, streamed: bool = False
    ) -> Message | None:
        """Give `message` its place (parent, provenance), count it, record it, pass it on."""
        forwarded: Message | None = None
        parent: Message | None = handled
        kind = _KINDS.get(type(message)) or _kind_of(type(message))
        set_slot = object.__setattr__
        if kind & _NET:
            net: Any = message
            if net._net_sent:
                # A message that was already sent elsewhere, sent again: a forward of it here
                # (as AgentForum does), pointing back at where it came from.
                original = net
                net = net.model_copy()
                set_slot(net, "_net_forwarded", original)
            elif net._net_parent is not None:
                parent = net._net_parent
            if not net.sender:
                previous = net
                net = net.model_copy(update={"sender": actor.name})
                set_slot(net, "_net_forwarded", previous._net_forwarded)
            forwarded = net._net_forwarded
            set_slot(net, "_net_parent", parent)
            set_slot(net, "_net_sent", True)
            message = net
        state = self.state
        state.messages += 1
        state.last = message
        tokens = message.output_tokens if kind & _HAS_TOKENS else None  # type: ignore[attr-defined]
        state.tokens += tokens if isinstance(tokens, int) else len(message.text) // 4
        self.last = message
        result = self.result
        result.count += 1
        if self.keep:
            result.messages.append(message)
        if kind & _ERROR:
            result.errors.append(message)  # type: ignore[arg-type]
        if self.recorder is not None:
            sender = message.sender if kind & _NET else ""  # type: ignore[attr-defined]
            self.recorder.place(
                message, parent, sender or actor.name, self.recorder.run_for(actor), forwarded
            )
        if self.sink is not None and not streamed:
            self.sink(message, actor.name)
        if self.outer is not None:
            self.outer.count_inner(message)
        reason = self.condition.check(state)
        if reason is not None and result.stop_reason is None:
            result.stop_reason = reason
        return message

    def count_inner(self, message: Message) -> None:
        # A nested network's messages count toward the budgets of the networks around it.
        state = self.state
        state.messages += 1
        state.last = message
        tokens = message.__dict__.get("output_tokens")
        state.tokens += tokens if isinstance(tokens, int) else len(message.text) // 4
        reason = self.condition.check(state)
        if reason is not None and self.result.stop_reason is None:
            self.stop_now(reason)
        if self.outer is not None:
            self.outer.count_inner(message)

    def route(self, message: Message) -> None:
        """Queue `message` for its receiver(s), or send it out of the network."""
        kind = _KINDS.get(type(message)) or _kind_of(type(message))
        if not kind & _NET:
            self.leave(message)
            return
        message = cast(NetMessage, message)
        directory = self.network.directory
        receiver = message.receiver
        if receiver:
            target = directory.get(receiver)
            if target is None:
                if self.outer is not None or receiver == USER or kind & _ERROR:
                    self.leave(message)
                else:
                    self.fail(
                        message,
                        self.network,
                        "UnknownReceiver",
                        f"no actor named {receiver!r} in network {self.network.name}",
                    )
            elif kind & _ERROR and not hasattr(target, "receive_net_error"):
                self.leave(message)
            else:
                self.queue.append((target, message))
            return
        listeners = self.network._edges.get(message.sender)
        if listeners:
            for listener in listeners:
                self.queue.append((listener, message))
        else:
            self.leave(message)

    def leave(self, message: Message) -> None:
        if self.outer is not None:
            self.outward.append(message)
        else:
            self.result.outputs.append(message)

    def fail(self, message: Message, actor: Actor, error_type: str, text: str) -> None:
        error = NetError.reply_to(
            message, sender=actor.name, error_type=error_type, error_text=text, text=text
        )
        placed = self.place(error, actor, message)
        if placed is not None:
            self.route(placed)

    # --- the loop ---

    async def loop(self) -> None:
        queue = self.queue
        network = self.network
        recorder = self.recorder
        while queue and self.result.stop_reason is None:
            if recorder is not None and recorder.due():
                recorder.flush_soon()
                # Handlers that never await would keep the loop from starting the write; one
                # turn hands it to SQLite's thread, where it runs as one trip. More turns (one
                # every 8 messages, when each statement was a trip) cost ~8% of a recorded
                # contract net in loop turns and GIL hand-overs.
                await asyncio.sleep(0)
            actor, message = queue.popleft()
            self.handling = message
            self.actor = actor
            if network._receive_listeners:
                network._notify_receive(actor, message)
            if type(actor).is_network:
                await cast(Any, actor)._nested(message, self)
                continue
            handler, kind = type(actor).handler_for(type(message))
            if handler is None:
                self.fail(
                    message,
                    actor,
                    "UnknownMessageType",
                    f"{actor.name} cannot receive {type(message).__name__}: "
                    f"it has no receive_{_handler_name(type(message))} handler",
                )
                continue
            try:
                if kind == GENERATOR:
                    async for item in handler(actor, message):
                        await self.send(item, actor, message)
                        if self.result.stop_reason is not None:
                            break
                    continue
                result = handler(actor, message)
                if kind == AWAITED:
                    result = await result
                if result is None:
                    continue
                if (_KINDS.get(type(result)) or _kind_of(type(result))) != _OTHER:
                    await self.send(result, actor, message)
                    continue
                if not isinstance(result, list | tuple):
                    result = _replies(actor, result)
                for item in result:
                    await self.send(item, actor, message)
                    if self.result.stop_reason is not None:
                        break
            except Exception as error:
                # The handler, a reply it streams, or what it returned failed: an error in
                # the tree under the message, and the network goes on.
                self.fail(message, actor, type(error).__name__, _error_line(actor, error))

    def record_stop(self, reason: str) -> None:
        """Record a `Stopped` node under the last message (no delivery, no stream)."""
        recorder = self.recorder
        if recorder is None:
            return
        parent = self.last or self.handling
        stopped = Stopped(text=f"stopped: {reason}", reason=reason, sender=self.network.name)
        object.__setattr__(stopped, "_net_parent", parent)
        recorder.place(stopped, parent, self.network.name, recorder.run_for(self.network))

    def stop_now(self, reason: str) -> None:
        """Stop from outside the loop (a timeout, an external stop): cancel what it awaits."""
        if self.result.stop_reason is not None:
            return
        self.result.stop_reason = reason
        task = self.task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    async def run(self) -> NetResult:
        condition = self.condition
        deadline = condition.deadline()
        loop = asyncio.get_running_loop()
        timer = None
        if deadline is not None:
            timer = loop.call_later(deadline, self.stop_now, _timeout_reason(condition, deadline))
        actors = list(self.network.directory)
        for actor in actors:
            await actor.on_start()
        self.task = asyncio.ensure_future(self.loop())
        try:
            try:
                await self.task
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if self.result.stop_reason is None or (current and current.cancelling()):
                    raise
        finally:
            if timer is not None:
                timer.cancel()
            if self.pending:
                await asyncio.gather(*self.pending, return_exceptions=True)
        reason = self.result.stop_reason
        if reason is not None:
            stopped = Stopped(text=f"stopped: {reason}", reason=reason, sender=self.network.name)
            object.__setattr__(stopped, "_net_parent", self.last or self.handling)
            stop_reason = self.result.stop_reason
            self.result.stop_reason = None  # placing the notice must not stop it again
            self.place(stopped, self.network, self.last or self.handling)
            self.result.stop_reason = stop_reason
        for actor in actors:
            await actor.on_stop()
        return self.result


def _replies(actor: Actor, result: Any) -> list[Any]:
    try:
        return list(result)
    except TypeError:
        raise TypeError(
            f"{actor.name} replied {type(result).__name__}; a handler returns messages, "
            "str, MessagePromise, a list of them, or None"
        ) from None


def _handler_name(message_type: type) -> str:
    from .messages import snake_case

    return snake_case(message_type.__name__)


def _error_line(actor: Actor, error: BaseException) -> str:
    text = " ".join(str(error).split())
    name = type(error).__name__
    return f"{actor.name} failed: {name}: {text}" if text else f"{actor.name} failed: {name}"


def _timeout_reason(condition: TerminationCondition, deadline: float) -> str:
    return f"timed out after {deadline:g} s"
