"""Approvals and breakpoints, offline: a tool that asks first, answered from a later process.

    python examples/approvals_demo.py ask "what is 12*7"   # the run stops, waiting
    ramify runs --waiting                                   # lists it
    python examples/approvals_demo.py answer allow_once     # (or allow_always, reject)

The demo model asks the ``calculator`` for each arithmetic expression; this calculator is
marked destructive, so its policy is ``ask``: the run records an interrupt node and ends
waiting. ``answer`` opens the same session in a new process, answers the interrupt and the
loop goes on from the recorded call (the model is not asked for it again). In the IDE the
agent is ``examples/approvals_demo.py:agent``: the approval comes up as a modal.
The session lives in the default database (``$RAMIFY_HOME/ramify.sqlite3``).
"""

from __future__ import annotations

import dataclasses
import sys

from ramify.core import Ramify, Session, SQLiteStore, UserMessage
from ramify.core.store.location import resolve_database_path
from ramify.core.tools import (
    ToolAnnotations,
    agent_with_tools,
    answer_interrupt,
    calculator,
    pending_interrupts,
)

SESSION_ID = "approvals-demo"


# The demo calculator, marked destructive so that its policy is "ask".
careful_calculator = dataclasses.replace(calculator, annotations=ToolAnnotations(destructive=True))


agent = agent_with_tools([careful_calculator], api="demo", alias="careful", tokens_per_second=0)


async def ask(question: str) -> None:
    async with SQLiteStore(resolve_database_path()) as store:
        session = await Session.create(store)
        await session.append(UserMessage(question))
        await session.inquire(agent).recorded()
        for node, interrupt in await pending_interrupts(session):
            print(f"waiting at {node[:12]} in session {session.id[:12]}: {interrupt.text}")
            for call in interrupt.calls:
                print(f"    {call.name}({call.arguments})")


async def answer(decision: str) -> None:
    async with SQLiteStore(resolve_database_path()) as store:
        for record in await store.list_sessions():
            session = await Session.open(store, record.id)
            for node, _ in await pending_interrupts(session):
                replies = await answer_interrupt(session, node, decision, agent)  # type: ignore[arg-type]
                for message in await replies:
                    print(f"[{message.role}] {message.text.strip()}")
                return
    print("nothing is waiting: run `python examples/approvals_demo.py ask 'what is 12*7'`")


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["ask"]
    if command == "ask":
        Ramify().run(ask(" ".join(rest) or "what is 12*7"))
    elif command == "answer":
        Ramify().run(answer(rest[0] if rest else "allow_once"))
    else:
        print("usage: approvals_demo.py ask QUESTION | answer allow_once|allow_always|reject")
        sys.exit(2)
