"""MiniAgents' `promising` package: contexts, promises, sentinels."""

from .promising import Promise, PromisingContext, StreamedPromise
from .sentinels import NO_VALUE, Sentinel

__all__ = ["NO_VALUE", "Promise", "PromisingContext", "Sentinel", "StreamedPromise"]
