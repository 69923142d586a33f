"""MiniAgents' promise type aliases (all `Any` here: Ramify's types are in `ramify.core`)."""

from typing import Any

__all__ = ["PromiseResolvedEventHandler", "PromiseResolver", "PromiseStreamer"]

PromiseResolver = Any
PromiseStreamer = Any
PromiseResolvedEventHandler = Any
