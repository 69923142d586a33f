"""MiniAgents' `cached_privately`: cache a method's result per instance, outside the model.

A pydantic model would take a cached value set as an attribute for a field; here results live
in a side table keyed by the instance's identity, dropped when the instance is.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["cached_privately"]

R = TypeVar("R")

_caches: dict[int, dict[str, Any]] = {}


def _cache_of(instance: Any) -> dict[str, Any]:
    key = id(instance)
    cache = _caches.get(key)
    if cache is None:
        cache = {}
        # Registered first, so an object that cannot be weakly referenced is never cached
        # under an id that a later object could reuse.
        weakref.finalize(instance, _caches.pop, key, None)
        _caches[key] = cache
    return cache


def cached_privately(func: Callable[[Any], R]) -> Callable[[Any], R]:
    """Compute ``func(self)`` once per instance (stack ``@property`` on top if wanted)."""
    name = func.__qualname__

    @functools.wraps(func)
    def wrapper(self: Any) -> R:
        cache = _cache_of(self)
        if name not in cache:
            cache[name] = func(self)
        result: R = cache[name]
        return result

    return wrapper
