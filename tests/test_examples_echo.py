"""examples/echo.py run as the IDE runs it: each turn asks the agent with the whole branch."""

from __future__ import annotations

from pathlib import Path

from ramify.core import USER, MemoryStore, Ramify, Session, UserMessage
from ramify.tui.agent_loader import load_agent_spec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def test_echo_answers_each_turn_once_with_the_newest_message() -> None:
    echo = load_agent_spec(str(EXAMPLES / "echo.py:my_agent"))
    async with Ramify():
        session = await Session.create(MemoryStore())
        for text in ("one", "two", "three"):
            await session.append(UserMessage(text=text), sender=USER)
            await session.inquire(echo).recorded()
        texts = [message.text for _, message in await session.path_messages("main")]
    assert texts == [
        "one",
        "You said: one",
        "two",
        "You said: two",
        "three",
        "You said: three",
    ]
