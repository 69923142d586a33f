"""A crew of workers with roles, run as a sequential process or a hierarchical one.

    python examples/networks/crew.py "a note on caching"
    python examples/networks/crew.py --hierarchical "a note on caching"

Sequential: the researcher, the writer and the editor work in turn, each on the previous
one's result. Hierarchical: a manager gives each worker its own task at once and assembles
their results in role order when all are in.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, MaxMessages, NetMessage, Network
from ramify.core.tree import USER

ROLES = ("researcher", "writer", "editor")


class Task(NetMessage):
    type_tag: ClassVar[str] = "examples.crew.Task"
    role: str
    context: str = ""


class Result(NetMessage):
    type_tag: ClassVar[str] = "examples.crew.Result"
    role: str


class Worker(Actor):
    def receive_task(self, task: Task) -> Result:
        done = f"[{task.role}: {task.context or task.text}]"
        return Result.reply_to(task, sender=self.name, role=task.role, text=done)


class Sequential(Actor):
    """Runs the roles in order, handing each the previous result."""

    def receive_message(self, request: Message) -> Task:
        return Task.reply_to(
            request, sender=self.name, receiver=ROLES[0], role=ROLES[0], text=request.text
        )

    def receive_result(self, result: Result) -> NetMessage:
        step = ROLES.index(result.role) + 1
        if step == len(ROLES):
            return NetMessage.reply_to(result, receiver=USER, text=result.text)
        role = ROLES[step]
        return Task.reply_to(result, receiver=role, role=role, context=result.text, text=role)


class Manager(Actor):
    """Gives every role its task at once; assembles the results when all are in."""

    def __init__(self, name: str = "manager") -> None:
        super().__init__(name)
        self.results: dict[str, Result] = {}

    def receive_message(self, request: Message) -> list[Task]:
        self.results = {}
        return [
            Task.reply_to(request, sender=self.name, receiver=role, role=role, text=request.text)
            for role in ROLES
        ]

    def receive_result(self, result: Result) -> NetMessage | None:
        self.results[result.role] = result
        if len(self.results) < len(ROLES):
            return None
        report = " ".join(self.results[role].text for role in ROLES)
        return NetMessage.reply_to(result, receiver=USER, text=report)


def crew(hierarchical: bool = False) -> Network:
    lead: Actor = Manager() if hierarchical else Sequential("lead")
    workers = [Worker(role) for role in ROLES]
    name = "hierarchical_crew" if hierarchical else "sequential_crew"
    return Network(name, [lead, *workers], stop=MaxMessages(50))


network = crew()
hierarchical_network = crew(hierarchical=True)


async def _main(topic: str, hierarchical: bool) -> None:
    result = await crew(hierarchical).run(topic)
    for message in result.messages:
        print(f"{message.sender} -> {message.receiver}: {message.text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic", nargs="?", default="a note on caching")
    parser.add_argument("--hierarchical", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(_main(arguments.topic, arguments.hierarchical))
