"""Reflexion: act -> observe -> reward -> reflect, until the reward says the task is solved.

    python examples/networks/reflexion.py 37

The task is to find a hidden number between 1 and 100. The actor acts (guesses), the
environment observes the guess ("too low", "too high", "right"), the evaluator turns the
observation into a reward, and the reflector writes a lesson from it (the bounds the
answer is known to lie in). The actor's next act follows its lessons, so it converges.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, MaxMessages, NetMessage, Network, closest
from ramify.core.tree import USER


class Act(NetMessage):
    type_tag: ClassVar[str] = "examples.reflexion.Act"
    guess: int


class Observation(NetMessage):
    type_tag: ClassVar[str] = "examples.reflexion.Observation"
    outcome: str


class Reward(NetMessage):
    type_tag: ClassVar[str] = "examples.reflexion.Reward"
    score: float


class Reflection(NetMessage):
    type_tag: ClassVar[str] = "examples.reflexion.Reflection"
    low: int
    high: int


class Agent(Actor):
    """Acts on its latest reflection: the middle of what is still possible."""

    def receive_message(self, task: Message) -> Act:
        return Act.reply_to(task, sender=self.name, receiver="environment", guess=50, text="50?")

    def receive_reflection(self, lesson: Reflection) -> Act:
        guess = (lesson.low + lesson.high) // 2
        return Act.reply_to(lesson, receiver="environment", guess=guess, text=f"{guess}?")


class Environment(Actor):
    def __init__(self, name: str, hidden: int) -> None:
        super().__init__(name)
        self.hidden = hidden

    def receive_act(self, act: Act) -> Observation:
        if act.guess == self.hidden:
            outcome = "right"
        else:
            outcome = "too low" if act.guess < self.hidden else "too high"
        return Observation.reply_to(act, receiver="evaluator", outcome=outcome, text=outcome)


class Evaluator(Actor):
    def receive_observation(self, observation: Observation) -> NetMessage:
        if observation.outcome == "right":
            act = closest(observation, Act)
            guess = act.guess if act else "?"
            return NetMessage.reply_to(observation, receiver=USER, text=f"Solved: {guess}")
        return Reward.reply_to(observation, receiver="reflector", score=0.0, text="reward 0")


class Reflector(Actor):
    def receive_reward(self, reward: Reward) -> Reflection:
        observation = closest(reward, Observation)
        act = closest(reward, Act)
        earlier = closest(act.parent if act else None, Reflection)
        low, high = (earlier.low, earlier.high) if earlier else (1, 100)
        if act is not None and observation is not None:
            if observation.outcome == "too low":
                low = act.guess + 1
            else:
                high = act.guess - 1
        return Reflection.reply_to(
            reward, receiver="agent", low=low, high=high, text=f"it is in {low}..{high}"
        )


def reflexion(hidden: int = 37) -> Network:
    return Network(
        "reflexion",
        [
            Agent("agent"),
            Environment("environment", hidden),
            Evaluator("evaluator"),
            Reflector("reflector"),
        ],
        stop=MaxMessages(60),
    )


network = reflexion()


async def _main(hidden: int) -> None:
    result = await reflexion(hidden).run("Find the number.")
    for message in result.messages:
        print(f"{message.sender} -> {message.receiver}: {message.text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hidden", nargs="?", type=int, default=37)
    asyncio.run(_main(parser.parse_args().hidden))
