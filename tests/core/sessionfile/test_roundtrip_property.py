"""Property: any tree the Session API can build exports and imports back to the same tree."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramify.core import (
    AssistantMessage,
    BranchNotFound,
    ErrorMessage,
    MemoryStore,
    Message,
    NothingToUndo,
    RefConflict,
    Run,
    RunStatus,
    RunUsage,
    Session,
    SQLiteStore,
    SystemMessage,
    UserMessage,
)
from ramify.core.runs import encode_timings

from .helpers import tree_of

TRICKY = [
    "-->",
    "<!--",
    "<!-- ramify-session format=1 marker=ramify:00000000 -->",
    "---",
    "# user",
    "assistant\n=========",
    "```",
    "~~~~\n",
    "<pre>",
    "\r\n",
    "\x00\x1b\x7f",
    "  trailing  \n",
    "\n\n",
]
texts = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=8)), max_size=5).map("".join),
)
names = st.one_of(st.sampled_from(["main", "side", "edit 1", "ünï", "a`b"]), st.text(max_size=6))
nested = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet="abc", max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    text = draw(texts)
    kind = draw(st.sampled_from(["user", "assistant", "system", "error", "cancelled", "extra"]))
    if kind == "user":
        return UserMessage(text=text)
    if kind == "assistant":
        return AssistantMessage(
            text=text,
            model=draw(st.none() | st.text(max_size=8)),
            output_tokens=draw(st.none() | st.integers(0, 10**6)),
        )
    if kind == "system":
        return SystemMessage(text=text)
    if kind == "error":
        return ErrorMessage.from_exception(ValueError(text), partial_text=draw(texts))
    if kind == "cancelled":
        return AssistantMessage(text=text, cancelled=True)
    return Message(text=text, role=draw(st.none() | st.text(max_size=5)), data=draw(nested))


operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), names, messages(), st.text(max_size=8)),
        st.tuples(st.just("reply"), names, messages(), st.integers(0, 10**5)),
        st.tuples(st.just("fork"), st.integers(0, 10**6), names),
        st.tuples(st.just("edit"), st.integers(0, 10**6), messages()),
        st.tuples(st.just("forward"), st.integers(0, 10**6), names),
        st.tuples(st.just("undo"), names),
    ),
    max_size=14,
)


async def _build(store: MemoryStore, steps: list[tuple[Any, ...]], active: str) -> Session:
    session = await Session.create(store, title="random")
    await session.append(UserMessage(text="start"), branch="main")
    for step in steps:
        nodes = await store.session_nodes(session.id)
        kind = step[0]
        with contextlib.suppress(RefConflict, NothingToUndo, BranchNotFound):
            if kind == "append":
                await session.append(step[2], sender=step[3], branch=step[1] or "main")
            elif kind == "reply":
                run = Run(agent="BOT", session_id=session.id, usage=RunUsage(output_tokens=step[3]))
                node = await session.append(
                    step[2], sender="BOT", branch=step[1] or "main", run_id=run.id
                )
                run.output_nodes.append(node.hash_key)
                run.status = RunStatus.DONE
                run.timings[node.hash_key] = encode_timings([(1, step[3]), (2, 0)])
                await session.save_run(run)
            elif kind == "fork":
                await session.fork(nodes[step[1] % len(nodes)], step[2] or "fork")
            elif kind == "edit":
                await session.edit(nodes[step[1] % len(nodes)], step[2])
            elif kind == "forward":
                await session.forward(nodes[step[1] % len(nodes)], step[2] or "main")
            elif kind == "undo":
                await session.undo(step[1] or "main")
    if active in {ref.name for ref in await session.branches()}:
        await session.set_active_branch(active)
    return session


async def _round_trip(steps: list[tuple[Any, ...]], active: str) -> None:
    async with MemoryStore() as source:
        session = await _build(source, steps, active)
        exports = {scope: await session.export_markdown(scope) for scope in ("path", "related")}
        tree = await session.export_markdown("tree")
        with tempfile.TemporaryDirectory() as folder:
            async with SQLiteStore(Path(folder) / "imported.db") as target:
                imported = await Session.import_markdown(target, tree)
                assert await tree_of(imported) == await tree_of(session)
                original_runs = [run.model_dump() for run in await session.runs()]
                assert [run.model_dump() for run in await imported.runs()] == original_runs
                assert await imported.export_markdown("tree") == tree
        for scope, text in exports.items():
            async with MemoryStore() as target:
                imported = await Session.import_markdown(target, text)
                assert imported.active_branch == session.active_branch
                assert await imported.export_markdown(scope) == text  # type: ignore[arg-type]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=operations, active=names)
def test_export_then_import_gives_the_same_hashes_refs_and_runs(
    steps: list[tuple[Any, ...]], active: str
) -> None:
    asyncio.run(_round_trip(steps, active))
