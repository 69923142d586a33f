"""Flattening: any nested mix of replies into one ordered run of `MessagePromise`s.

Accepted items, nested to any depth: `str`, `dict`, `Message`, `MessagePromise`,
`MessageSequencePromise` (or any other `StreamedPromise` of these), sync or async iterables of
these, and exception instances (placed as failures). Rules:

* depth-first, in order; a nested sequence holds its slot until it ends;
* each message promise is emitted as soon as it is reached, not when its tokens end;
* an error met inside an item is emitted at its position and flattening goes on with the
  rest of the item (a failed async iterable ends, its siblings still follow; a nested sequence
  is read past its errors), so nothing queued after an error is lost;
* anything else is a `MalformedProducerError` at its position.

Items made only of leaves and lists/tuples of leaves are flattened synchronously, without a
task switch; the rest needs an `await`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any, TypeGuard

from ..messages import Message
from .context import escalates
from .errors import MalformedProducerError
from .message_promise import MessagePromise
from .streamed import StreamedPromise

__all__ = ["default_message_factory", "flatten", "flatten_sync", "needs_async", "only_promises"]

Emit = Callable[[MessagePromise], None]
EmitFailure = Callable[[BaseException], None]
MessageFactory = Callable[[str | dict[str, Any]], Message]


def default_message_factory(item: str | dict[str, Any]) -> Message:
    """How a bare `str` or `dict` reply becomes a message: ``Message(text=...)``."""
    if isinstance(item, str):
        return Message(text=item)
    return Message(**item)


def needs_async(item: Any) -> bool:
    """True unless `item` is a leaf or a list/tuple of such, flattenable without awaiting."""
    if isinstance(item, _LEAVES):
        return False
    if isinstance(item, (list, tuple)):
        # Leaves are checked inline: a run's history is a 10,000-message tuple.
        return any(not isinstance(element, _LEAVES) and needs_async(element) for element in item)
    return True


_LEAVES = (str, dict, Message, MessagePromise, BaseException)


def only_promises(item: Any) -> TypeGuard[list[MessagePromise] | tuple[MessagePromise, ...]]:
    """True for a list or tuple holding message promises only (e.g. an agent's history)."""
    return isinstance(item, (list, tuple)) and all(
        isinstance(element, MessagePromise) for element in item
    )


def flatten_sync(
    item: Any, emit: Emit, emit_failure: EmitFailure, message_factory: MessageFactory
) -> None:
    """Flatten an item for which `needs_async` is False."""
    if isinstance(item, MessagePromise):
        emit(item)
    elif isinstance(item, Message):
        emit(MessagePromise.from_message(item))
    elif isinstance(item, (str, dict)):
        try:
            message = message_factory(item)
        except Exception as error:
            emit_failure(error)
        else:
            emit(MessagePromise.from_message(message))
    elif isinstance(item, BaseException):
        emit_failure(item)
    else:
        for element in item:
            flatten_sync(element, emit, emit_failure, message_factory)


async def flatten(
    item: Any, emit: Emit, emit_failure: EmitFailure, message_factory: MessageFactory
) -> None:
    """Flatten any reply item, emitting message promises and failures in order."""
    if not needs_async(item):
        flatten_sync(item, emit, emit_failure, message_factory)
    elif isinstance(item, StreamedPromise):
        await _flatten_stream(item, emit, emit_failure, message_factory)
    elif isinstance(item, AsyncIterable):
        try:
            async for element in item:
                await flatten(element, emit, emit_failure, message_factory)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            emit_failure(error)
        except BaseException as error:
            emit_failure(error)
            if escalates(error):
                raise
    elif isinstance(item, Iterable) and not hasattr(item, "__aiter__"):
        try:
            for element in item:
                await flatten(element, emit, emit_failure, message_factory)
        except Exception as error:
            emit_failure(error)
    else:
        emit_failure(
            MalformedProducerError(
                f"cannot reply with a {type(item).__name__}: use str, dict, Message, "
                "MessagePromise, MessageSequencePromise or (async) iterables of these"
            )
        )


async def _flatten_stream(
    stream: StreamedPromise[Any, Any],
    emit: Emit,
    emit_failure: EmitFailure,
    message_factory: MessageFactory,
) -> None:
    iterator = stream.__aiter__()
    while True:
        try:
            element = await iterator.__anext__()
        except StopAsyncIteration:
            return
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # The nested stream was cancelled by someone else: its slot ends here.
            return
        except BaseException as error:
            # Already reported to the top by the nested producer; here it is just an item.
            emit_failure(error)
            if stream._errors_end_stream:
                return
            continue
        if isinstance(element, MessagePromise):
            emit(element)
        else:
            await flatten(element, emit, emit_failure, message_factory)
