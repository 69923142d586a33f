"""The human is the composer: a person is one actor of the network.

    python examples/networks/human_console.py

The guide asks, the human answers. At the console the human's answers are typed; in the IDE
(``ramify examples/networks/human_console.py:network``) the network hands off to the user
(`HandoffToUser`) and the next message typed in the composer continues the conversation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, HandoffToUser, MaxMessages, NetMessage, Network
from ramify.core.tree import USER

QUESTIONS = ("What are you building?", "Who is it for?", "What would make it a success?")


class Question(NetMessage):
    type_tag: ClassVar[str] = "examples.human_console.Question"


class Answer(NetMessage):
    type_tag: ClassVar[str] = "examples.human_console.Answer"


class Guide(Actor):
    """Asks its questions one by one, then sums up the answers."""

    def __init__(self, name: str = "guide", human: str = USER) -> None:
        super().__init__(name)
        self.human = human
        self.answers: list[str] = []

    def _next(self, after: Message) -> NetMessage:
        if len(self.answers) < len(QUESTIONS):
            question = QUESTIONS[len(self.answers)]
            return Question.reply_to(after, sender=self.name, receiver=self.human, text=question)
        summary = "You said: " + "; ".join(self.answers)
        return NetMessage.reply_to(after, sender=self.name, receiver=USER, text=summary)

    def receive_answer(self, answer: Answer) -> NetMessage:
        self.answers.append(answer.text)
        return self._next(answer)

    def receive_message(self, message: Message) -> NetMessage:
        # What the user typed in the IDE: an answer when a question is open, else a start.
        if self.answers or message.text.strip().lower() != "start":
            self.answers.append(message.text)
        return self._next(message)


class Human(Actor):
    """A person at the console (or any callable that answers a question)."""

    def __init__(self, name: str, ask: Callable[[str], str] = input) -> None:
        super().__init__(name)
        self.ask = ask

    def receive_question(self, question: Question) -> Answer:
        return Answer.reply_to(question, text=self.ask(f"{question.text} "))


def console(ask: Callable[[str], str] = input) -> Network:
    """The guide and a human actor that answers through `ask`."""
    return Network("console", [Guide(human="human"), Human("human", ask)], stop=MaxMessages(20))


def in_the_ide() -> Network:
    """The guide alone: its questions go to the user, and the network waits for them."""
    return Network("interview", [Guide()], stop=HandoffToUser() | MaxMessages(20))


network = in_the_ide()


async def _main() -> None:
    result = await console().run("start")
    print(result.outputs[-1].text if result.outputs else "")


if __name__ == "__main__":
    asyncio.run(_main())
