"""Agent networks: typed messages, actors that dispatch on them, networks that nest.

The shape comes from llm_net (Llegos) and AgentForum, built on Ramify's agents and sessions:

* `NetMessage`: a `Message` with `sender` and `receiver` (hashed fields). Subclass it with
  typed fields. ``Propose.reply_to(cfp, price=3)`` answers a message (sender and receiver
  swapped, placed under it); ``message.forward("bob")`` re-addresses one, keeping provenance;
  `closest` finds the nearest ancestor of a type.
* `Actor`: handlers named ``receive_<snake_case type>`` (``receive_net_message`` is the
  fallback); `can_receive`, `directory.receivers(*types)`, `tell` (one way), `emit` (to the
  network's listeners), `stream` (a reply that streams), `on_start`/`on_stop` hooks.
* `Network`: actors, `connect`ed edges (who listens to whom), an entry actor, and a
  termination condition (`MaxMessages`, `TextMention`, `Timeout`, `TokenBudget`,
  `ExternalStop`, `HandoffToUser`, combined with ``|`` and ``&``). A network is an actor, so
  networks nest; ``await network.run("task")`` runs one in memory and returns a `NetResult`.
* ``network.as_agent()``: the network as a Ramify agent. Run with `Session.inquire` (or opened
  in the IDE with ``ramify file.py:network``), every message is a node under the message it
  answers, sent by its actor; the network's run has one child run per actor, and
  `Session.rerun` on one actor's node runs that actor again on the same message, beside it.

Example::

    class Ping(NetMessage): ...
    class Pong(NetMessage): ...

    class Player(Actor):
        async def receive_ping(self, message: Ping) -> Pong:
            return Pong.reply_to(message)

    result = await Network("game", [Player("a"), Player("b")]).run(Ping(receiver="a"))
"""

from .actor import Actor, NetworkNotRunning
from .as_agent import UnknownMessageType, actor_agent, network_agent
from .directory import Directory
from .messages import NetError, NetMessage, Stopped, closest, snake_case
from .network import DEFAULT_MAX_MESSAGES, NetResult, Network, Sink
from .recorder import NetRecorder
from .termination import (
    ExternalStop,
    HandoffToUser,
    MaxMessages,
    NetState,
    TerminationCondition,
    TextMention,
    Timeout,
    TokenBudget,
)

__all__ = [
    "DEFAULT_MAX_MESSAGES",
    "Actor",
    "Directory",
    "ExternalStop",
    "HandoffToUser",
    "MaxMessages",
    "NetError",
    "NetMessage",
    "NetRecorder",
    "NetResult",
    "NetState",
    "Network",
    "NetworkNotRunning",
    "Sink",
    "Stopped",
    "TerminationCondition",
    "TextMention",
    "Timeout",
    "TokenBudget",
    "UnknownMessageType",
    "actor_agent",
    "closest",
    "network_agent",
    "snake_case",
]
