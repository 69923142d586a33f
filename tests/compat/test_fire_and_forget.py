"""Fire and forget under `ramify.compat.miniagents`: leaving waits for started agents.

MiniAgents programs start agents without awaiting them (``agent_loop.trigger(...)`` at the
end of ``main()``). Ramify's own runtime cancels what still runs `shutdown_timeout` (10 s)
after leaving; the compat runtime waits until it ends, as MiniAgents does.
"""

from __future__ import annotations

import asyncio
import math

from ramify.compat.miniagents import InteractionContext, MiniAgents, miniagent
from ramify.compat.miniagents.ext import AWAIT, agent_loop


def _gated_worker(steps: list[str], started: asyncio.Event, release: asyncio.Event) -> object:
    @miniagent
    async def worker(ctx: InteractionContext) -> None:
        steps.append("start")
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            steps.append("cancelled")
            raise
        steps.append("end")
        ctx.reply("done")

    return worker


def test_compat_runtime_waits_without_a_bound_by_default() -> None:
    assert MiniAgents().shutdown_timeout == math.inf


async def test_leaving_waits_for_a_triggered_agent_instead_of_cancelling_it() -> None:
    steps: list[str] = []
    started, release, leaving = asyncio.Event(), asyncio.Event(), asyncio.Event()
    worker = _gated_worker(steps, started, release)

    async def program() -> None:
        async with MiniAgents():
            worker.trigger()  # type: ignore[attr-defined]  # never awaited
            await started.wait()
            leaving.set()

    exiting = asyncio.create_task(program())
    await leaving.wait()
    for _ in range(100):  # let the exit run as far as it can without the worker
        await asyncio.sleep(0)
    assert not exiting.done()
    assert steps == ["start"]

    release.set()
    await exiting
    assert steps == ["start", "end"]


async def test_an_explicit_shutdown_timeout_bounds_the_wait() -> None:
    steps: list[str] = []
    started, release = asyncio.Event(), asyncio.Event()
    worker = _gated_worker(steps, started, release)

    async with MiniAgents(shutdown_timeout=0):
        worker.trigger()  # type: ignore[attr-defined]
        await started.wait()

    assert steps == ["start", "cancelled"]


def test_a_fire_and_forget_loop_ended_by_keyboard_interrupt_leaves_run_quietly() -> None:
    heard: list[str] = []

    @miniagent
    async def user(ctx: InteractionContext) -> None:
        async for promise in ctx.message_promises:
            heard.append(str(await promise))
        if len(heard) == 3:
            raise KeyboardInterrupt  # what the console agent does on "exit"
        ctx.reply(f"turn {len(heard)}")

    @miniagent
    async def assistant(ctx: InteractionContext) -> None:
        async for promise in ctx.message_promises:
            ctx.reply(f"re: {await promise}")

    async def main() -> None:
        agent_loop.trigger(agents=[user, AWAIT, assistant])

    assert MiniAgents().run(main()) is None
    assert heard == ["re: turn 0", "re: turn 1", "re: turn 2"]
