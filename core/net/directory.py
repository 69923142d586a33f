"""`Directory`: the actors of a network, by name and by what they can receive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .actor import Actor

__all__ = ["Directory"]


class Directory:
    """The actors of one network (a nested network is one entry, under its own name)."""

    def __init__(self) -> None:
        self._actors: dict[str, Actor] = {}

    def add(self, actor: Actor) -> None:
        if actor.name in self._actors:
            raise ValueError(f"the network already has an actor named {actor.name!r}")
        self._actors[actor.name] = actor

    def get(self, name: str) -> Actor | None:
        """The actor called `name`, or None."""
        return self._actors.get(name)

    def __getitem__(self, name: str) -> Actor:
        try:
            return self._actors[name]
        except KeyError:
            raise KeyError(f"no actor named {name!r} in this network") from None

    def __contains__(self, name: object) -> bool:
        return name in self._actors

    def __iter__(self) -> Iterator[Actor]:
        return iter(list(self._actors.values()))

    def __len__(self) -> int:
        return len(self._actors)

    def receivers(self, *message_types: type) -> list[Actor]:
        """The actors that can receive every one of `message_types`, in the order added."""
        return [
            actor
            for actor in self._actors.values()
            if all(actor.can_receive(message_type) for message_type in message_types)
        ]
