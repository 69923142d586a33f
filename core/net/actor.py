"""`Actor`: an object whose handlers are chosen by the class of the message it receives.

A handler is a method named ``receive_<snake_case of the message class>``: ``receive_cfp``
for `CFP`, ``receive_contract_proposal`` for `ContractProposal`. The message class's bases
are tried in order, so ``receive_net_message`` takes every `NetMessage` that has no handler
of its own: that is the fallback. We chose names over an ``@on(Type)`` decorator because a
handler is then an ordinary method: it shows in ``dir()``, a subclass overrides it by name,
and `can_receive` is a lookup, not a registry.

A handler may be ``async def`` or plain, and returns its replies: None, a message, a list of
them, or a `MessagePromise` that streams (see `Actor.stream`); an async generator handler
yields them one by one. Inside a handler, `tell` sends a message without waiting for anything
back, `emit` tells the network's listeners, and `directory` finds other actors.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from ..messages import Message
from ..promising import MessagePromise
from .messages import NetMessage, snake_case

if TYPE_CHECKING:
    from ..agents import Agent
    from .directory import Directory
    from .network import Network

__all__ = ["Actor", "Handler", "NetworkNotRunning"]

Handler = Callable[[Any, Any], Any]

# How a handler hands back its replies, decided once per handler.
PLAIN, AWAITED, GENERATOR = 0, 1, 2


class NetworkNotRunning(RuntimeError):
    """`tell` or `emit` was called on an actor whose network is not running a conversation."""


class Actor:
    """A participant of a `Network` that dispatches on message type (see the module doc).

    Args:
        name: how other actors address it (`NetMessage.receiver`); defaults to the class
            name. Names are unique within a network.
    """

    # (handler or None, how it replies) per message class, filled on first delivery.
    _handlers: ClassVar[dict[type, tuple[Handler | None, int]]] = {}
    # A network delivers a message by running a conversation of its own (see `Network`).
    is_network: ClassVar[bool] = False

    def __init__(self, name: str | None = None) -> None:
        self.name = name or type(self).__name__
        self.network: Network | None = None
        self._agent: Agent | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}

    @classmethod
    def handler_for(cls, message_type: type) -> tuple[Handler | None, int]:
        """The handler for `message_type` (its own, else its nearest base's) and its kind."""
        try:
            return cls._handlers[message_type]
        except KeyError:
            pass
        found: tuple[Handler | None, int] = (None, PLAIN)
        for base in message_type.__mro__:
            handler = getattr(cls, f"receive_{snake_case(base.__name__)}", None)
            if handler is not None and callable(handler):
                if inspect.isasyncgenfunction(handler):
                    kind = GENERATOR
                elif inspect.iscoroutinefunction(handler):
                    kind = AWAITED
                else:
                    kind = PLAIN
                found = (handler, kind)
                break
        cls._handlers[message_type] = found
        return found

    def can_receive(self, message_type: type) -> bool:
        """Whether this actor has a handler (or a fallback) for `message_type`."""
        return self.handler_for(message_type)[0] is not None

    @property
    def directory(self) -> Directory:
        """The actors of this actor's network, to find each other by name or by type."""
        if self.network is None:
            raise NetworkNotRunning(f"actor {self.name} is not in a network")
        return self.network.directory

    def tell(self, message: NetMessage) -> None:
        """Send `message` one way: it is delivered after the current one; nothing waits."""
        self._running().tell(self, message)

    def emit(self, event: Any) -> None:
        """Tell the listeners subscribed in the network (and the networks around it)."""
        if self.network is None:
            raise NetworkNotRunning(f"actor {self.name} is not in a network")
        self.network.emit(event)

    def stream(
        self,
        message_type: type[Message],
        tokens: AsyncIterable[str],
        *,
        reply_to: Message,
        **fields: Any,
    ) -> MessagePromise:
        """A reply to `reply_to` whose text streams from `tokens` (return it from a handler).

        The network passes the live promise on (the IDE shows it token by token) and delivers
        the message once it resolves.
        """
        fields.setdefault("sender", self.name)
        fields.setdefault("receiver", getattr(reply_to, "sender", ""))
        return MessagePromise(tokens, message_class=message_type, **fields)

    def relay(
        self,
        agent: Agent,
        prompt: Any,
        message_type: type[Message],
        *,
        reply_to: Message,
        **fields: Any,
    ) -> MessagePromise:
        """Ask another Ramify `agent` (a model, a team) and stream its reply as a reply to
        `reply_to` of `message_type` (return it from a handler)."""

        async def tokens() -> AsyncIterator[str]:
            async for promise in agent.inquire(prompt):
                async for token in promise:
                    yield token

        return self.stream(message_type, tokens(), reply_to=reply_to, **fields)

    def as_agent(self) -> Agent:
        """This actor as a Ramify agent that answers the last message of its input (what
        `Session.rerun` runs to redo one of its replies)."""
        if self._agent is None:
            from .as_agent import actor_agent

            self._agent = actor_agent(self)
        return self._agent

    async def on_start(self) -> None:
        """Called before the network delivers its first message (a lifecycle hook)."""

    async def on_stop(self) -> None:
        """Called after the network stopped, whatever the reason (a lifecycle hook)."""

    def _running(self) -> Any:
        network = self.network
        current = None if network is None else network._current
        if current is None:
            raise NetworkNotRunning(
                f"actor {self.name} can only tell while its network runs a conversation"
            )
        return current

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
