"""Errors raised by the promising layer: specific classes whose messages say what to do next."""

from __future__ import annotations

__all__ = [
    "AppenderClosedError",
    "AppenderNotOpenError",
    "MalformedProducerError",
    "NoActiveContextError",
    "PromisingError",
]


class PromisingError(Exception):
    """Base class of every error the promising layer raises on misuse."""


class NoActiveContextError(PromisingError, RuntimeError):
    """No `PromisingContext` is active in this task; use `async with PromisingContext():`."""


class AppenderNotOpenError(PromisingError, RuntimeError):
    """A token appender was used before `open()` (or outside its `with` block)."""


class AppenderClosedError(PromisingError, RuntimeError):
    """A token appender was used after it was closed; open a new promise instead."""


class MalformedProducerError(PromisingError, TypeError):
    """A producer is not what the promise can consume (e.g. a sync generator where an async
    iterable is needed); the stream fails at once instead of hanging."""
