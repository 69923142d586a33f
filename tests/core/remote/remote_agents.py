"""Agents the remote-agent tests serve from real `ramify worker` processes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from ramify.core import AssistantMessage, InteractionContext, agent
from ramify.core.promising import MessagePromise


def _streamed(ctx: InteractionContext, tokens: AsyncIterator[str]) -> MessagePromise:
    return MessagePromise(
        tokens, message_class=AssistantMessage, agent_alias=ctx.this_agent.alias, model="test"
    )


@agent(alias="ECHO")
async def echo(ctx: InteractionContext, n: int = 3, replies: int = 1) -> None:
    """Replies `replies` messages, each `n` tokens quoting the input."""
    text = " ".join(message.text for message in await ctx.message_promises)

    async def tokens(reply: int) -> AsyncIterator[str]:
        for i in range(n):
            yield f"{text}-{reply}.{i} "

    for reply in range(replies):
        ctx.reply(_streamed(ctx, tokens(reply)))


@agent(alias="HANG")
async def hang(ctx: InteractionContext) -> None:
    """One token, then waits forever; a worker started with HANG_ROLE=finish replies whole."""
    finish = os.environ.get("HANG_ROLE") == "finish"

    async def tokens() -> AsyncIterator[str]:
        yield "first "
        if finish:
            yield "done"
            return
        await asyncio.Event().wait()

    ctx.reply(_streamed(ctx, tokens()))


@agent(alias="PACED")
async def paced(ctx: InteractionContext, n: int = 40, gap: float = 0.05) -> None:
    """`n` tokens `gap` seconds apart, like a model streaming."""

    async def tokens() -> AsyncIterator[str]:
        for i in range(n):
            yield f"t{i} "
            await asyncio.sleep(gap)

    ctx.reply(_streamed(ctx, tokens()))


@agent(alias="FAILS")
async def fails(ctx: InteractionContext) -> None:
    """Raises after its input: the worker records the error as a message."""
    await ctx.message_promises
    raise ValueError("the remote agent broke")
