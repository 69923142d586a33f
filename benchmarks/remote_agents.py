"""Agents the remote benchmark serves from `ramify worker` processes (and runs in process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from ramify.core import InteractionContext, MessagePromise, agent


@agent(alias="STAMP", cache=False)
async def stamp(ctx: InteractionContext, n: int = 400, gap: float = 0.005) -> None:
    """`n` tokens, each the `time.monotonic()` of its yield, `gap` seconds apart."""

    async def tokens() -> AsyncIterator[str]:
        for _ in range(n):
            yield f"{time.monotonic():.9f} "
            await asyncio.sleep(gap)

    ctx.reply(MessagePromise(tokens()))


@agent(alias="BURST", cache=False)
async def burst(ctx: InteractionContext, n: int = 2000) -> None:
    """`n` short tokens as fast as they can go."""

    async def tokens() -> AsyncIterator[str]:
        for index in range(n):
            yield f"t{index} "

    ctx.reply(MessagePromise(tokens()))


@agent(alias="STEP", cache=False)
async def step(ctx: InteractionContext) -> None:
    """A workflow-like task: reads its inputs, replies one short message."""
    inputs = await ctx.message_promises
    ctx.reply(f"step after {len(inputs)} input(s)")
