"""Research basics (Llegos's first tests): typed messages survive storage, ping/pong
dispatch by type, and hooks that watch every delivery.

    python examples/networks/research.py
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, MaxMessages, NetMessage, Network


class Ping(NetMessage):
    type_tag: ClassVar[str] = "examples.research.Ping"
    count: int = 0


class Pong(NetMessage):
    type_tag: ClassVar[str] = "examples.research.Pong"
    count: int = 0


class Pinger(Actor):
    def receive_pong(self, pong: Pong) -> Ping:
        return Ping.reply_to(pong, sender=self.name, count=pong.count + 1, text="ping")


class Ponger(Actor):
    def receive_ping(self, ping: Ping) -> Pong:
        return Pong.reply_to(ping, sender=self.name, count=ping.count, text="pong")


def game(rallies: int = 3) -> Network:
    """A pinger and a ponger, stopped after `rallies` exchanges."""
    return Network("ping_pong", [Pinger("pinger"), Ponger("ponger")], stop=MaxMessages(2 * rallies))


def round_trip(message: NetMessage) -> Message:
    """A message written out as data and read back (what a store does): the same class."""
    return Message.from_data(message.to_data())


network = game()


async def _main() -> None:
    net = game()
    deliveries: list[str] = []
    net.listen("receive", lambda actor, message: deliveries.append(f"{actor.name}<-{message}"))
    result = await net.run(Ping(sender="pinger", receiver="ponger", text="ping"))
    print("\n".join(deliveries))
    print("stopped:", result.stop_reason)
    print("round trip:", round_trip(Ping(count=2, text="ping")))


if __name__ == "__main__":
    asyncio.run(_main())
