"""The process a durability test kills: it runs a tool agent (or, in mode ``agent``, a plain
OpenAI agent with a breakpoint after it) against the loopback fake provider into a real
SQLite file until the run waits at an interrupt, says so, and hangs.

    python -m tests.core.tools.interrupt_child DB BASE_URL approval|breakpoint|agent
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ramify.core import Ramify, Session, SQLiteStore, UserMessage
from ramify.core.agents import Agent
from ramify.core.llm import openai_agent
from ramify.core.tools import agent_with_tools, interrupt_settings, pending_interrupts, tool

SESSION_ID = "durable"


def make_agent(db: str, base_url: str, mode: str) -> Agent:
    """The tool agent both processes build: one destructive tool (it only notes its calls in
    ``DB.calls``), reached over the fake. For a breakpoint the tool is allowed, so only the
    breakpoint stops the run."""
    if mode == "agent":
        return openai_agent.fork(alias="writer", model="gpt-4o-mini", base_url=base_url)
    marker = Path(db + ".calls")

    @tool(destructive=True)
    def remove(name: str) -> str:
        """Remove a file."""
        with marker.open("a", encoding="utf-8") as notes:
            notes.write(f"{name}\n")
        return f"removed {name}"

    policies = {"*": "allow"} if mode == "breakpoint" else None
    return agent_with_tools(
        [remove],
        api="openai",
        model="gpt-4o-mini",
        base_url=base_url,
        alias="ops",
        policies=policies,  # type: ignore[arg-type]
    )


async def _main(db: str, base_url: str, mode: str) -> None:
    async with SQLiteStore(db) as store:
        session = await Session.create(store, session_id=SESSION_ID)
        if mode == "breakpoint":
            interrupt_settings(session).add_breakpoint("before", "rem*")
        elif mode == "agent":
            interrupt_settings(session).add_breakpoint("after", "writer", kind="agent")
        await session.append(UserMessage("remove notes.txt"))
        await session.inquire(make_agent(db, base_url, mode)).recorded()
        [(node, _)] = await pending_interrupts(session)
        print(f"WAITING {node}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    Ramify().run(_main(*sys.argv[1:4]))
