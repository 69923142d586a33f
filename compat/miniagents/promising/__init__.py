"""MiniAgents' `promising` package: contexts, promises, sentinels."""

from .promising import Promise, PromisingContext, StreamAppender, StreamedPromise
from .sentinels import NO_VALUE, Sentinel

__all__ = [
    "NO_VALUE",
    "Promise",
    "PromisingContext",
    "Sentinel",
    "StreamAppender",
    "StreamedPromise",
]
