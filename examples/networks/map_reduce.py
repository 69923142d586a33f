"""Map-reduce: fan a job out to mappers, dedupe their results, reduce; a nested map-reducer
works as one of the mappers.

    python examples/networks/map_reduce.py "the cat sat on the mat the end"

The splitter sends each mapper a share of the words; each mapper answers with the distinct
words of its share; the reducer merges them, keeping each word once. One mapper is itself a
map-reduce network: it splits its share again among its own mappers before it answers.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import ClassVar

from ramify.core import Message
from ramify.core.net import Actor, MaxMessages, NetMessage, Network
from ramify.core.tree import USER


class Job(NetMessage):
    type_tag: ClassVar[str] = "examples.map_reduce.Job"
    words: tuple[str, ...]
    parts: int = 1


class Mapped(NetMessage):
    type_tag: ClassVar[str] = "examples.map_reduce.Mapped"
    words: tuple[str, ...]


class Splitter(Actor):
    """Splits a job among every mapper it can find; collects and dedupes their answers."""

    def __init__(self, name: str, answer_to: str = USER) -> None:
        super().__init__(name)
        self.answer_to = answer_to
        self.jobs: dict[str, tuple[Message, int, list[Mapped]]] = {}

    def mappers(self) -> list[Actor]:
        return [actor for actor in self.directory.receivers(Job) if actor is not self]

    def _split(self, request: Message, words: tuple[str, ...]) -> list[Job]:
        mappers = self.mappers()
        self.jobs[request.hash_key] = (request, len(mappers), [])
        return [
            Job.reply_to(
                request,
                sender=self.name,
                receiver=mapper.name,
                words=words[i :: len(mappers)],
                text=f"map {len(words[i :: len(mappers)])} words",
            )
            for i, mapper in enumerate(mappers)
        ]

    def receive_message(self, request: Message) -> list[Job]:
        return self._split(request, tuple(request.text.split()))

    def receive_job(self, job: Job) -> list[Job]:
        return self._split(job, job.words)

    def receive_mapped(self, mapped: Mapped) -> NetMessage | None:
        request = mapped.parent.parent if mapped.parent else None
        if request is None or request.hash_key not in self.jobs:
            return None
        original, expected, got = self.jobs[request.hash_key]
        got.append(mapped)
        if len(got) < expected:
            return None
        merged = tuple(dict.fromkeys(word for part in got for word in part.words))
        if isinstance(original, Job):  # a nested reducer answers whoever gave it the job
            return Mapped.reply_to(original, words=merged, text=" ".join(merged))
        return NetMessage.reply_to(mapped, receiver=self.answer_to, text=" ".join(sorted(merged)))


class Mapper(Actor):
    def receive_job(self, job: Job) -> Mapped:
        distinct = tuple(dict.fromkeys(job.words))
        return Mapped.reply_to(job, sender=self.name, words=distinct, text=" ".join(distinct))


def map_reduce(mappers: int = 2, nested: bool = True) -> Network:
    actors: list[Actor] = [Splitter("reducer")]
    actors += [Mapper(f"mapper_{i + 1}") for i in range(mappers)]
    if nested:
        inner = Network(
            "inner_map_reduce",
            [Splitter("inner_reducer"), Mapper("inner_1"), Mapper("inner_2")],
            stop=MaxMessages(100),
        )
        actors.append(inner)
    return Network("map_reduce", actors, stop=MaxMessages(200))


network = map_reduce()


async def _main(text: str) -> None:
    result = await map_reduce().run(text)
    for message in result.messages:
        print(f"{message.sender} -> {message.receiver}: {message.text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text", nargs="?", default="the cat sat on the mat the end the cat")
    asyncio.run(_main(parser.parse_args().text))
