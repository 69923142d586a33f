"""examples/tools_demo.py run as the IDE runs it: loaded by spec, asked on a session branch."""

from __future__ import annotations

from pathlib import Path

from ramify.core import MemoryStore, Ramify, Session, UserMessage
from ramify.tui.agent_loader import load_agent_spec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def test_tools_demo_calls_the_calculator_on_a_session_branch() -> None:
    agent = load_agent_spec(str(EXAMPLES / "tools_demo.py:agent"))
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage("what is 12*7"))
        await session.inquire(agent, tokens_per_second=0).recorded()
        texts = [message.text for _, message in await session.path_messages("main")]
    assert texts[2] == "84"
    assert "**84**" in texts[3]
