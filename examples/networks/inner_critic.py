"""An inner critic: a writer drafts, a critic objects, the writer revises... until the
network's message budget (`MaxMessages`) stops them.

    python examples/networks/inner_critic.py "a haiku about rain"

The critic never runs out of objections, so without the budget the loop would go on forever.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, MaxMessages, NetMessage, Network

OBJECTIONS = ("Too long.", "Too vague.", "Too clever by half.")


class Draft(NetMessage):
    type_tag: ClassVar[str] = "examples.inner_critic.Draft"
    version: int = 1


class Critique(NetMessage):
    type_tag: ClassVar[str] = "examples.inner_critic.Critique"


class Writer(Actor):
    def receive_message(self, task: Message) -> Draft:
        return Draft.reply_to(task, sender=self.name, receiver="critic", text=f"v1: {task.text}")

    def receive_critique(self, critique: Critique) -> Draft:
        draft = critique.parent
        version = draft.version + 1 if isinstance(draft, Draft) else 1
        body = draft.text.split(": ", 1)[-1] if draft else ""
        return Draft.reply_to(critique, version=version, text=f"v{version}: {body}")


class Critic(Actor):
    def receive_draft(self, draft: Draft) -> Critique:
        objection = OBJECTIONS[(draft.version - 1) % len(OBJECTIONS)]
        return Critique.reply_to(draft, text=objection)


def inner_critic(budget: int = 7) -> Network:
    return Network("inner_critic", [Writer("writer"), Critic("critic")], stop=MaxMessages(budget))


network = inner_critic()


async def _main(task: str) -> None:
    result = await inner_critic().run(task)
    for message in result.messages:
        print(f"{message.sender}: {message.text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", nargs="?", default="a haiku about rain")
    asyncio.run(_main(parser.parse_args().task))
