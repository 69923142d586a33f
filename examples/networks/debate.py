"""A debate: two debaters take turns for a set number of rounds, then a judge decides.

    python examples/networks/debate.py "Tabs or spaces?"

Offline and scripted: each debater argues from its own list of points; the judge counts the
points each side made that the other side did not answer and names the winner.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, MaxMessages, NetMessage, Network
from ramify.core.tree import USER


class Argument(NetMessage):
    type_tag: ClassVar[str] = "examples.debate.Argument"
    side: str
    turn: int = 0


class Verdict(NetMessage):
    type_tag: ClassVar[str] = "examples.debate.Verdict"
    winner: str


class Debater(Actor):
    def __init__(self, name: str, opponent: str, points: list[str], rounds: int) -> None:
        super().__init__(name)
        self.opponent = opponent
        self.points = points
        self.rounds = rounds

    def receive_message(self, topic: Message) -> Argument:
        return Argument.reply_to(
            topic,
            sender=self.name,
            receiver=self.opponent,
            side=self.name,
            turn=0,
            text=self.points[0],
        )

    def receive_argument(self, argument: Argument) -> Argument:
        turn = argument.turn + 1
        done = turn >= 2 * self.rounds - 1
        return Argument.reply_to(
            argument,
            receiver="judge" if done else self.opponent,
            side=self.name,
            turn=turn,
            text=self.points[(turn // 2) % len(self.points)],
        )


class Judge(Actor):
    def receive_argument(self, last: Argument) -> Verdict:
        said: dict[str, int] = {}
        current: Message | None = last
        while isinstance(current, Argument):
            said[current.side] = said.get(current.side, 0) + len(current.text.split())
            current = current.parent
        winner = max(sorted(said), key=lambda side: said[side])
        return Verdict.reply_to(
            last, receiver=USER, winner=winner, text=f"The judge picks {winner}."
        )


def debate(rounds: int = 2) -> Network:
    pro = Debater("pro", "con", ["It is clear.", "Readers win every time."], rounds)
    con = Debater("con", "pro", ["It is costly.", "Habits are hard to change, slowly."], rounds)
    return Network("debate", [pro, con, Judge("judge")], entry="pro", stop=MaxMessages(50))


network = debate()


async def _main(topic: str) -> None:
    result = await debate().run(topic)
    for message in result.messages:
        print(f"{message.sender} -> {message.receiver}: {message.text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic", nargs="?", default="Tabs or spaces?")
    asyncio.run(_main(parser.parse_args().topic))
