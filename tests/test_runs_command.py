"""`ramify runs [--waiting]`: runs of the session database, and the ones waiting at an
interrupt with what they wait for (a real SQLite file, the offline demo model)."""

from __future__ import annotations

import pytest

from ramify.core import Ramify, Session, SQLiteStore, UserMessage
from ramify.core.llm import demo_agent
from ramify.core.store.location import resolve_database_path
from ramify.core.tools import (
    agent_with_tools,
    answer_interrupt,
    interrupt_settings,
    pending_interrupts,
    tool,
)
from ramify.tui.cli import main


# The demo model asks for "calculator": a destructive tool of that name is asked about.
@tool(name="calculator", destructive=True)
def wipe(expression: str) -> str:
    """Pretend to wipe something."""
    return f"wiped {expression}"


AGENT = agent_with_tools([wipe], alias="wiper", tokens_per_second=0)


async def _waiting_session() -> str:
    async with Ramify(), SQLiteStore(resolve_database_path()) as store:
        session = await Session.create(store, session_id="3333333333333333")
        await session.append(UserMessage("what is 12*7"))
        await session.inquire(AGENT).recorded()
        [(node, _)] = await pending_interrupts(session)
        return node


def test_runs_waiting_lists_the_waiting_run_and_what_it_waits_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    node = asyncio.run(_waiting_session())
    assert main(["runs", "--waiting"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines[0].split()[:2] == ["RUN", "SESSION"]
    [line] = lines[1:]
    assert "333333333333" in line
    assert "waiting" in line
    assert f"waits at {node[:12]}: ⏸ waiting for approval: calculator" in line


def test_runs_waiting_lists_a_plain_agent_stopped_at_a_breakpoint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    async def stop() -> str:
        async with Ramify(), SQLiteStore(resolve_database_path()) as store:
            session = await Session.create(store, session_id="4444444444444444")
            interrupt_settings(session).add_breakpoint("before", "DEMO_*")
            await session.append(UserMessage("hello"))
            await session.inquire(demo_agent).recorded()
            [(node, _)] = await pending_interrupts(session)
            return node

    node = asyncio.run(stop())
    assert main(["runs", "--waiting"]) == 0
    [line] = capsys.readouterr().out.strip().split("\n")[1:]
    assert "444444444444" in line
    assert "DEMO_AGENT" in line
    assert f"waits at {node[:12]}: ⏸ waiting at a breakpoint before DEMO_AGENT" in line


def test_an_answered_run_no_longer_waits(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    node = asyncio.run(_waiting_session())

    async def answer() -> None:
        async with Ramify(), SQLiteStore(resolve_database_path()) as store:
            session = await Session.open(store, "3333333333333333")
            await (await answer_interrupt(session, node, "reject", AGENT)).recorded()

    asyncio.run(answer())
    assert main(["runs"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert [line.split()[4] for line in lines[1:]] == ["done", "done"]
    assert main(["runs", "--waiting"]) == 0
    assert capsys.readouterr().out.strip() == "no waiting runs"


def test_runs_waiting_says_so_when_nothing_waits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "--waiting"]) == 0
    assert capsys.readouterr().out.strip() == "no waiting runs"
