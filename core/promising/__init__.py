"""The promising layer: promises, token streaming, flattening and cancellation.

See the module docstrings of `streamed`, `message_promise` and `sequence` for the producer
and consumer APIs, and `context` for scheduling, shutdown and observer hooks.
"""

from .context import PromisingContext
from .errors import (
    AppenderClosedError,
    AppenderNotOpenError,
    MalformedProducerError,
    NoActiveContextError,
    PromisingError,
)
from .message_promise import MessagePromise, SharedMessagePromise, TokenAppender
from .promise import Promise
from .sequence import MessageSequencePromise, ReplyChannel
from .streamed import StreamedPromise

__all__ = [
    "AppenderClosedError",
    "AppenderNotOpenError",
    "MalformedProducerError",
    "MessagePromise",
    "MessageSequencePromise",
    "NoActiveContextError",
    "Promise",
    "PromisingContext",
    "PromisingError",
    "ReplyChannel",
    "SharedMessagePromise",
    "StreamedPromise",
    "TokenAppender",
]
