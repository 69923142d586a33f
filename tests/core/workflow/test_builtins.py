"""Built-in dependencies: model agent by name, the run's session and store, a durable memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ramify.core import Ramify, Session, SQLiteStore
from ramify.core.store.base import Store
from ramify.core.workflow import Workflow, run_workflow
from ramify.core.workflow.builtins import (
    Memory,
    current_session,
    current_store,
    memory,
    model_agent,
)


class Prompt(BaseModel):
    prompt: str


class Reply(BaseModel):
    reply: str


class Seen(BaseModel):
    session_id: str
    same_store: bool


class Count(BaseModel):
    count: int


async def test_model_agent_demo_answers_a_task_offline(tmp_path: Path) -> None:
    workflow = Workflow("ask")
    state = workflow.state("ask", final=True)

    @state.task()
    async def ask(item: Prompt, agent: Any = model_agent("demo")) -> Reply:
        replies = [
            str(message) for message in await agent.fork(tokens_per_second=0).inquire(item.prompt)
        ]
        return Reply(reply="".join(replies))

    async with Ramify():
        result = await run_workflow(workflow, Prompt(prompt="hello there"))
    reply = result.outputs[("ask", "ask")]
    assert isinstance(reply, Reply)
    assert reply.reply.strip()


async def test_current_session_and_store_are_where_the_run_records(tmp_path: Path) -> None:
    workflow = Workflow("where")
    state = workflow.state("where", final=True)

    @state.task()
    def look(session: Session = current_session(), store: Store = current_store()) -> Seen:
        return Seen(session_id=session.id, same_store=store is session.store)

    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        result = await run_workflow(workflow, session=session)
    seen = result.outputs[("where", "look")]
    assert isinstance(seen, Seen)
    assert seen.session_id == session.id
    assert seen.same_store


def _counter() -> Workflow:
    workflow = Workflow("counter")
    state = workflow.state("count", final=True)

    @state.task()
    async def bump(notes: Memory = memory("counter")) -> Count:
        count = await notes.get("count", 0) + 1
        await notes.set("count", count)
        return Count(count=count)

    return workflow


async def test_memory_survives_a_new_run_and_a_reopened_store(tmp_path: Path) -> None:
    db = tmp_path / "wf.db"
    async with SQLiteStore(db) as store:
        session = await Session.create(store)
        first = await run_workflow(_counter(), session=session)
        second = await run_workflow(_counter(), session=session)
    assert first.outputs[("count", "bump")] == Count(count=1)
    assert second.outputs[("count", "bump")] == Count(count=2)
    async with SQLiteStore(db) as store:
        reopened = await Session.open(store, session.id)
        third = await run_workflow(_counter(), session=reopened)
        assert await Memory(reopened, "counter").items() == {"count": 3}
        # Entries are nodes of the session, on their own branch.
        assert len(await reopened.path("memory/counter")) == 3
    assert third.outputs[("count", "bump")] == Count(count=3)


async def test_memory_namespaces_do_not_share_keys(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "wf.db") as store:
        session = await Session.create(store)
        await Memory(session, "a").set("k", "from a")
        assert await Memory(session, "b").get("k") is None
        assert await Memory(session, "a").get("k") == "from a"
        assert isinstance(session.store, Store)
