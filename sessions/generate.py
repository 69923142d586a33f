"""Build the example sessions and write their markdown exports (the golden files).

Run from the repository root: ``python sessions/generate.py`` rewrites the files,
``python sessions/generate.py --check`` only reports those that are out of date.

The sessions are built through the `Session` API on a `MemoryStore`, with agents that need no
network. The clock, run ids and process identity are fixed while building, so the output is
the same on every machine; tests rebuild the sessions and compare.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar
from unittest import mock

from ramify.core import (
    USER,
    Agent,
    AssistantMessage,
    InteractionContext,
    MemoryStore,
    Message,
    MessagePromise,
    Ramify,
    Session,
    Store,
    SystemMessage,
    UserMessage,
    agent,
)
from ramify.core import recording, runs
from ramify.core import session as session_module
from ramify.core.agents import calls, context
from ramify.core.sessionfile import Scope
from ramify.core.store import memory

HERE = Path(__file__).resolve().parent
START = 1_767_225_600.0  # 2026-01-01T00:00Z


class ToolNote(Message):
    """A message kind of these examples: a note a tool left, with the tool's name."""

    type_tag: ClassVar[str] = "examples.ToolNote"
    tool: str = ""


class FakeClock:
    """Stands in for the `time` module of the core while a session is built."""

    def __init__(self) -> None:
        self.now = START

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


CLOCK = FakeClock()


@contextlib.contextmanager
def fixed_world(seed: str) -> Iterator[FakeClock]:
    """Fix the clock, run ids and process identity of the core while building."""
    CLOCK.now = START
    counter = iter(range(1, 1_000_000))

    def run_id() -> str:
        return hashlib.sha256(f"{seed}/{next(counter)}".encode()).hexdigest()[:32]

    with contextlib.ExitStack() as stack:
        for module in (session_module, recording, runs, calls, context, memory):
            stack.enter_context(mock.patch.object(module, "time", CLOCK))
        stack.enter_context(mock.patch.object(runs, "_pooled_run_id", run_id))
        stack.enter_context(
            mock.patch.object(recording, "this_process", lambda: (4242, "example-host"))
        )
        yield CLOCK


def example_agent(alias: str) -> Callable[[Callable[..., Awaitable[None]]], Agent]:
    """`@agent(alias=...)` with a fixed module name, so fingerprints do not depend on how
    this file was loaded (as a script or from the tests)."""

    def decorate(function: Callable[..., Awaitable[None]]) -> Agent:
        function.__module__ = "sessions.generate"
        return agent(alias=alias)(function)

    return decorate


def streamed(text: str, *, model: str, step: float = 0.04) -> MessagePromise:
    """A reply that streams word by word, one fake-clock `step` apart."""

    async def tokens() -> AsyncIterator[str]:
        for piece in re.findall(r"\s*\S+", text):
            CLOCK.advance(step)
            yield piece
            await asyncio.sleep(0)

    return MessagePromise(tokens(), message_class=AssistantMessage, model=model)


@example_agent("TUTOR")
async def tutor(ctx: InteractionContext) -> None:
    """Answers questions about markdown (the linear example)."""
    history = await ctx.message_promises
    question = history[-1].text
    if "comment" in question:
        answer = (
            "An HTML comment starts with `<!--` and ends with `-->`, so this text says both "
            "and is still one message:\n\n```html\n<!-- a note -->\n```\n\n"
            "A line of three dashes is a thematic break:\n\n---\n\nand a line `# user` inside "
            "a code block stays text:\n\n```markdown\n# user\nnot a new message\n```"
        )
    else:
        answer = (
            "Markdown headings start with `#`:\n\n# Title\n\n## Section\n\n"
            "A heading underlined with `===` is a level-one heading too."
        )
    ctx.reply(streamed(answer, model="demo-tutor-1"))


@example_agent("FOOD")
async def food(ctx: InteractionContext) -> None:
    """A researcher for where to eat."""
    await ctx.message_promises
    ctx.reply(
        streamed(
            "Food: try *pastéis de nata* in Belém, and grilled sardines in Alfama "
            "(June is sardine season).",
            model="demo-food-2",
        )
    )


@example_agent("SIGHTS")
async def sights(ctx: InteractionContext) -> None:
    """A researcher for what to see."""
    await ctx.message_promises
    ctx.reply(
        streamed(
            "Sights:\n\n| day | where |\n| --- | --- |\n| 1 | Alfama, Castelo de São Jorge |\n"
            "| 2 | Belém, LX Factory |",
            model="demo-sights-2",
        )
    )


@example_agent("TRIP_PLANNER")
async def trip_planner(ctx: InteractionContext) -> None:
    """An aggregator: asks both researchers and passes their replies on."""
    ctx.reply("I asked two researchers; their notes follow.")
    ctx.reply(food.inquire(ctx.message_promises))
    ctx.reply(sights.inquire(ctx.message_promises))


@example_agent("WRITER")
async def writer(ctx: InteractionContext) -> None:
    """Writes the itinerary the user asked for."""
    history = await ctx.message_promises
    days = "one day" if "one-day" in history[-1].text else "two days"
    plan = {
        "one day": "1. Morning: Alfama and the castle.\n2. Afternoon: Belém, pastéis de nata.",
        "two days": "1. Day one: Alfama, the castle, sardines for dinner.\n"
        "2. Day two: Belém, LX Factory, sunset at Miradouro da Senhora do Monte.",
    }[days]
    ctx.reply(streamed(f"Here is Lisbon in {days}:\n\n{plan}", model="demo-writer-3"))


@example_agent("BOOKER")
async def booker(ctx: InteractionContext) -> None:
    """Fails half-way through: its partial reply is kept with the error."""
    await ctx.message_promises

    async def tokens() -> AsyncIterator[str]:
        CLOCK.advance(0.3)
        yield "Checking tables for tonight"
        await asyncio.sleep(0)
        raise ConnectionError("the booking site did not answer")

    ctx.reply(MessagePromise(tokens(), message_class=AssistantMessage, model="demo-booker-1"))


@example_agent("SLOW_GUIDE")
async def slow_guide(ctx: InteractionContext) -> None:
    """Starts a long answer and never finishes it (the example cancels it)."""
    await ctx.message_promises

    async def tokens() -> AsyncIterator[str]:
        CLOCK.advance(0.5)
        yield "The history of Lisbon's trams begins in 1873, when"
        await asyncio.Event().wait()

    ctx.reply(MessagePromise(tokens(), message_class=AssistantMessage, model="demo-guide-1"))


async def _say(session: Session, text: str, branch: str | None = None) -> None:
    CLOCK.advance(60)
    await session.append(UserMessage(text=text), sender=USER, branch=branch)


async def _ask(session: Session, chosen: Agent, branch: str | None = None, **options: Any) -> None:
    CLOCK.advance(2)
    replies = session.inquire(chosen, branch, **options)
    async for promise in replies:
        # A failure is recorded as an ErrorMessage node either way.
        with contextlib.suppress(Exception):
            await promise
    await replies.recorded()


async def build_linear(store: Store) -> Session:
    """A short chat whose text holds markdown that could be mistaken for file structure."""
    with fixed_world("linear"):
        async with Ramify():
            session = await Session.create(
                store, title="Markdown questions", session_id="example-linear"
            )
            CLOCK.advance(1)
            await session.append(
                SystemMessage(text="You explain markdown briefly."), sender="SYSTEM"
            )
            await _say(session, "How do I write a heading in markdown?")
            await _ask(session, tutor)
            await _say(session, "And a comment? Does `-->` end it?")
            await _ask(session, tutor)
    return session


async def build_branched(store: Store) -> Session:
    """An aggregator with sub-agents, an edit, a fork with a failure and a cancel, a note."""
    with fixed_world("branched"):
        async with Ramify():
            session = await Session.create(
                store, title="Lisbon weekend (branched, multi-agent)", session_id="example-branched"
            )
            await _say(session, "Plan a weekend in Lisbon. Ask the researchers.")
            await _ask(session, trip_planner)
            food_reply = (await session.path("main"))[2]
            await _say(session, "Great. Make it a two-day itinerary.")
            question = await session.head("main")
            await _ask(session, writer)

            CLOCK.advance(30)
            await session.edit(question, UserMessage(text="Make it a one-day itinerary instead."))
            await _ask(session, writer, "edit-1")

            CLOCK.advance(30)
            await session.fork(food_reply, "food-only")
            await _say(session, "Only food, please: book a table for tonight.", "food-only")
            await _ask(session, booker, "food-only")
            await _say(session, "Never mind the booking. Tell me about the trams.", "food-only")
            CLOCK.advance(2)
            replies = session.inquire(slow_guide, "food-only")
            async for promise in replies:
                while not promise.text_so_far():
                    await asyncio.sleep(0)
                replies.cancel()
                break
            await replies.recorded()

            CLOCK.advance(60)
            await session.append(
                ToolNote(text="Museums are closed on Mondays.", tool="calendar"),
                sender="CALENDAR",
                branch="notes",
            )
            await session.set_active_branch("main")
    return session


Builder = Callable[[Store], Awaitable[Session]]

EXAMPLES: dict[str, tuple[Builder, Scope]] = {
    "linear.md": (build_linear, "path"),
    "branched.path.md": (build_branched, "path"),
    "branched.related.md": (build_branched, "related"),
    "branched.tree.md": (build_branched, "tree"),
}
"""Golden file name -> how its session is built, and the scope exported."""


async def render_examples() -> dict[str, str]:
    """Every example file's expected text, freshly built."""
    texts: dict[str, str] = {}
    sessions: dict[Builder, Session] = {}
    async with MemoryStore() as store:
        for name, (build, scope) in EXAMPLES.items():
            if build not in sessions:
                sessions[build] = await build(store)
            texts[name] = await sessions[build].export_markdown(scope)
    return texts


def main(argv: list[str]) -> int:
    texts = asyncio.run(render_examples())
    stale = [name for name, text in texts.items() if _read(HERE / name) != text]
    if "--check" in argv:
        for name in stale:
            print(f"{name} is out of date: run python sessions/generate.py")
        return 1 if stale else 0
    for name in stale:
        (HERE / name).write_bytes(texts[name].encode("utf-8"))
        print(f"wrote sessions/{name}")
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
