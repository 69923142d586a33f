"""MiniAgents' `promising.ext`: the `Frozen` model."""

from .frozen import Frozen, FrozenType, StrictFrozen

__all__ = ["Frozen", "FrozenType", "StrictFrozen"]
