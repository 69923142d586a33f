"""Dependency injection: cached per run by factory and arguments, torn down however it ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import BaseModel

from ramify.core.workflow import Depends, Workflow, WorkflowTaskFailed, run_workflow


class Num(BaseModel):
    n: int = 0


class Channel:
    def __init__(self, subject: str) -> None:
        self.subject = subject


def channel(subject: str) -> Channel:
    return Channel(subject)


async def test_cache_is_keyed_by_factory_and_arguments() -> None:
    seen: dict[str, Channel] = {}
    wf = Workflow("deps")
    s = wf.state("s")

    @s.task()
    def first(
        x: Num, a: Channel = Depends(channel, "a"), b: Channel = Depends(channel, "b")
    ) -> Num:
        seen["first.a"], seen["first.b"] = a, b
        return x

    @s.task()
    async def second(x: Num, a: Channel = Depends(channel, subject="a")) -> Num:
        seen["second.a"] = a
        return x

    @s.task()
    async def third(x: Num, a: Channel = Depends(channel, "a")) -> Num:
        seen["third.a"] = a
        return x

    await run_workflow(wf, Num())
    assert seen["first.a"].subject == "a"
    assert seen["first.b"].subject == "b"
    assert seen["first.a"] is not seen["first.b"]
    assert seen["third.a"] is seen["first.a"]  # same factory, same arguments: one object
    assert seen["second.a"] is not seen["first.a"]  # given by keyword: other arguments
    again: dict[str, Channel] = dict(seen)
    await run_workflow(wf, Num())
    assert seen["first.a"] is not again["first.a"]  # resolved per run


async def test_generator_dependencies_torn_down_on_success_error_and_cancel() -> None:
    events: list[str] = []
    started = asyncio.Event()

    def sync_resource() -> Iterator[str]:
        events.append("sync up")
        try:
            yield "sync"
        finally:
            events.append("sync down")

    async def async_resource(prefix: str) -> AsyncIterator[str]:
        events.append(f"{prefix} up")
        try:
            yield prefix
        finally:
            events.append(f"{prefix} down")

    async def needs_both(
        inner: str = Depends(async_resource, "inner"),
    ) -> str:
        return f"{inner}+"

    mode = {"value": "ok"}
    wf = Workflow("teardown")
    s = wf.state("s")

    @s.task()
    async def use(x: Num, a: str = Depends(sync_resource), b: str = Depends(needs_both)) -> Num:
        assert (a, b) == ("sync", "inner+")
        if mode["value"] == "error":
            raise RuntimeError("boom")
        if mode["value"] == "cancel":
            started.set()
            await asyncio.Event().wait()
        return x

    await run_workflow(wf, Num())
    assert sorted(events) == ["inner down", "inner up", "sync down", "sync up"]

    events.clear()
    mode["value"] = "error"
    with pytest.raises(WorkflowTaskFailed, match="boom"):
        await run_workflow(wf, Num())
    assert sorted(events) == ["inner down", "inner up", "sync down", "sync up"]

    events.clear()
    mode["value"] = "cancel"
    running = asyncio.create_task(run_workflow(wf, Num()))
    await started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert sorted(events) == ["inner down", "inner up", "sync down", "sync up"]
