"""`ramify.compat.miniagents`: MiniAgents' API over Ramify's core, at MiniAgents' paths.

Change ``miniagents`` to ``ramify.compat.miniagents`` in a program's import lines and it runs
on Ramify. Modules: `.miniagents` (agents), `.messages`, `.promising` (`.promising.promising`,
`.promising.sentinels`, `.promising.ext.frozen`), `.ext` (loops, history, console) and
`.ext.llms`. See the README's "Coming from MiniAgents" for what differs on purpose.
"""

from .messages import (
    ErrorMessage,
    ErrorToken,
    Message,
    MessagePromise,
    MessageSequence,
    MessageSequencePromise,
    MessageTokenAppender,
    StrictMessage,
    TextMessage,
    TextToken,
    Token,
)
from .miniagent_typing import (
    AgentFunction,
    MessageTokenStreamer,
    MessageType,
    PersistMessagesEventHandler,
    SingleMessageType,
)
from .miniagents import (
    AgentCall,
    AgentCallNode,
    AgentInteractionNode,
    AgentReplyNode,
    InteractionContext,
    MiniAgent,
    MiniAgents,
    __version__,
    miniagent,
)
from .promising.ext.frozen import Frozen, FrozenType, StrictFrozen
from .promising.promise_utils import cached_privately

__all__ = [
    "AgentCall",
    "AgentCallNode",
    "AgentFunction",
    "AgentInteractionNode",
    "AgentReplyNode",
    "ErrorMessage",
    "ErrorToken",
    "Frozen",
    "FrozenType",
    "InteractionContext",
    "Message",
    "MessagePromise",
    "MessageSequence",
    "MessageSequencePromise",
    "MessageTokenAppender",
    "MessageTokenStreamer",
    "MessageType",
    "MiniAgent",
    "MiniAgents",
    "PersistMessagesEventHandler",
    "SingleMessageType",
    "StrictFrozen",
    "StrictMessage",
    "TextMessage",
    "TextToken",
    "Token",
    "__version__",
    "cached_privately",
    "miniagent",
]
