"""A dialogue between two actors that ends by a termination condition.

    python examples/networks/dialogue.py

The writer asks a model (the offline demo model) for each turn and streams it; the editor
answers with a scripted remark until it has nothing left to say and says "goodbye". The
conversation ends on ``TextMention("goodbye") | MaxMessages(20)``, whichever comes first.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from ramify.core import Agent, Message
from ramify.core.llm import demo_agent
from ramify.core.net import Actor, MaxMessages, NetMessage, Network, TextMention
from ramify.core.promising import MessagePromise

REMARKS = ("Shorter, please.", "Now add an example.", "Good. goodbye")


class Turn(NetMessage):
    type_tag: ClassVar[str] = "examples.dialogue.Turn"


class Writer(Actor):
    def __init__(self, name: str, model: Agent) -> None:
        super().__init__(name)
        self.model = model

    def receive_message(self, message: Message) -> MessagePromise:
        # The whole line of the conversation so far is the model's prompt.
        return self.relay(self.model, message.text, Turn, reply_to=message, receiver="editor")


class Editor(Actor):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.said = 0

    def receive_turn(self, turn: Turn) -> Turn:
        remark = REMARKS[min(self.said, len(REMARKS) - 1)]
        self.said += 1
        return Turn.reply_to(turn, text=remark)


def dialogue(model: Agent = demo_agent) -> Network:
    return Network(
        "dialogue",
        [Writer("writer", model), Editor("editor")],
        stop=TextMention("goodbye") | MaxMessages(20),
    )


network = dialogue()


async def _main() -> None:
    result = await dialogue(demo_agent.fork(tokens_per_second=2000)).run("Explain recursion.")
    for message in result.messages:
        print(f"{message.sender}: {message.text[:70]}")


if __name__ == "__main__":
    asyncio.run(_main())
