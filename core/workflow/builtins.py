"""Built-in dependencies for workflow tasks: a model agent, the run's session or store, and
a key-value memory.

    @state.task()
    async def draft(idea: Idea, agent=model_agent("demo"), notes=memory("notes")) -> Draft:
        ...

`model_agent(name)` is the agent of a configured model, by alias (as the IDE resolves one;
None: the config's default, ``"demo"``: the offline demo model). `current_session()` and
`current_store()` are where the run records. `memory(namespace)` is a key-value memory kept
in the session tree: each `set` appends a `MemoryEntry` node to branch ``memory/NAMESPACE``
and a read takes the latest value on that branch. So memory is durable with the session,
shared by later runs in it, and forks with it (a forked session starts from the same
entries), at the cost of a path walk per read.
"""

from __future__ import annotations

import json
from typing import Any

from ..messages import Message
from ..session import Session
from ..store.base import Store
from .depends import CURRENT_SESSION, Depends

__all__ = [
    "Memory",
    "MemoryEntry",
    "current_session",
    "current_store",
    "memory",
    "model_agent",
]


class MemoryEntry(Message):
    """One `Memory.set`: `key` now holds the JSON in the text."""

    role: str | None = "system"
    namespace: str
    key: str


class Memory:
    """Key-value memory on branch ``memory/NAMESPACE`` of a session (values: JSON-able)."""

    def __init__(self, session: Session, namespace: str) -> None:
        self.session = session
        self.namespace = namespace
        self.branch = f"memory/{namespace}"

    async def items(self) -> dict[str, Any]:
        """Every key with its latest value."""
        values: dict[str, Any] = {}
        if await self.session.store.get_ref(self.session.id, self.branch) is None:
            return values
        for node in await self.session.path(self.branch):
            message = await self.session.message(node)
            if isinstance(message, MemoryEntry):
                values[message.key] = json.loads(message.text)
        return values

    async def get(self, key: str, default: Any = None) -> Any:
        return (await self.items()).get(key, default)

    async def set(self, key: str, value: Any) -> None:
        entry = MemoryEntry(text=json.dumps(value), namespace=self.namespace, key=key)
        await self.session.append(entry, sender="memory", branch=self.branch)


def _session() -> Session:
    session = CURRENT_SESSION.get()
    if not isinstance(session, Session):
        raise RuntimeError("current_session() is only available inside a workflow run")
    return session


def _store() -> Store:
    return _session().store


def _memory(namespace: str) -> Memory:
    return Memory(_session(), namespace)


def _agent(name: str | None) -> Any:
    from ..llm.agents import agent_for_model

    return agent_for_model(name)


def model_agent(name: str | None = None) -> Any:
    """Depends on the agent of configured model `name` (None: the default model)."""
    return Depends(_agent, name)


def current_session() -> Any:
    """Depends on the session the run records into."""
    return Depends(_session)


def current_store() -> Any:
    """Depends on the store of the session the run records into."""
    return Depends(_store)


def memory(namespace: str = "default") -> Any:
    """Depends on the key-value `Memory` named `namespace` in the run's session."""
    return Depends(_memory, namespace)
