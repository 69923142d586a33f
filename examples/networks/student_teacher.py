"""Student and teacher, with lifecycle hooks: each actor prepares in `on_start` (the teacher
writes its lesson plan, the student opens a notebook) and wraps up in `on_stop` (the
student's notebook holds what it learned, the teacher's log what it taught).

    python examples/networks/student_teacher.py
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, MaxMessages, NetMessage, Network
from ramify.core.tree import USER

LESSONS = ("A message is immutable.", "A node is its place.", "A branch is a name.")


class Lesson(NetMessage):
    type_tag: ClassVar[str] = "examples.student_teacher.Lesson"
    number: int


class Question(NetMessage):
    type_tag: ClassVar[str] = "examples.student_teacher.Question"


class Teacher(Actor):
    def __init__(self, name: str = "teacher") -> None:
        super().__init__(name)
        self.plan: list[str] = []
        self.log: list[str] = []

    async def on_start(self) -> None:
        self.plan = list(LESSONS)
        self.log.append("class started")

    async def on_stop(self) -> None:
        self.log.append(f"class ended, {len(self.plan)} lessons left")

    def receive_message(self, message: Message) -> Lesson:
        return self._teach(message, 1)

    def _teach(self, after: Message, number: int) -> Lesson:
        text = self.plan.pop(0)
        return Lesson.reply_to(
            after, sender=self.name, receiver="student", number=number, text=text
        )

    def receive_question(self, question: Question) -> NetMessage:
        lesson = question.parent
        number = lesson.number + 1 if isinstance(lesson, Lesson) else 1
        if not self.plan:
            return NetMessage.reply_to(question, receiver=USER, text="That is all for today.")
        return self._teach(question, number)


class Student(Actor):
    def __init__(self, name: str = "student") -> None:
        super().__init__(name)
        self.notebook: list[str] | None = None
        self.learned: list[str] = []

    async def on_start(self) -> None:
        self.notebook = []

    async def on_stop(self) -> None:
        self.learned = list(self.notebook or [])
        self.notebook = None

    def receive_lesson(self, lesson: Lesson) -> Question:
        assert self.notebook is not None, "the notebook opens in on_start"
        self.notebook.append(lesson.text)
        return Question.reply_to(lesson, text=f"Why is lesson {lesson.number} true?")


def classroom() -> Network:
    return Network("classroom", [Teacher(), Student()], stop=MaxMessages(20))


network = classroom()


async def _main() -> None:
    net = classroom()
    await net.run("Teach me Ramify.")
    teacher, student = net.directory["teacher"], net.directory["student"]
    assert isinstance(teacher, Teacher)
    assert isinstance(student, Student)
    print("learned:", student.learned)
    print("teacher:", teacher.log)


if __name__ == "__main__":
    asyncio.run(_main())
