"""MiniAgents' type aliases (all `Any` here: Ramify's own types are in `ramify.core`)."""

from typing import Any

__all__ = [
    "AgentFunction",
    "MessageTokenStreamer",
    "MessageType",
    "PersistMessagesEventHandler",
    "SingleMessageType",
]

AgentFunction = Any
MessageTokenStreamer = Any
MessageType = Any
SingleMessageType = Any
PersistMessagesEventHandler = Any
