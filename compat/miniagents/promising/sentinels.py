"""MiniAgents' sentinels: markers for "no value given" where None is a value."""

from __future__ import annotations

from typing import Any

__all__ = ["END_OF_QUEUE", "END_OF_UNORDERED_QUEUE", "FAILED", "NO_VALUE", "Sentinel", "given"]


class Sentinel:
    """A marker object; using one as a bool is a mistake and raises."""

    def __bool__(self) -> bool:
        raise RuntimeError("Sentinels should not be used in boolean expressions.")


NO_VALUE = Sentinel()
FAILED = Sentinel()
END_OF_QUEUE = Sentinel()
END_OF_UNORDERED_QUEUE = Sentinel()


def given(value: Any) -> Any:
    """`value`, or None for `NO_VALUE`: Ramify spells "use the default" as None."""
    return None if value is NO_VALUE else value
