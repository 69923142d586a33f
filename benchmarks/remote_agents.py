"""Agents and a workflow the remote benchmark serves from `ramify worker` processes (and runs
in process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from pydantic import BaseModel

from ramify.core import InteractionContext, MessagePromise, agent
from ramify.core.workflow import Workflow


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


class Start(BaseModel):
    text: str


class Left(BaseModel):
    left: str


class Right(BaseModel):
    right: str


class Both(BaseModel):
    text: str
    left: str
    right: str


class Done(BaseModel):
    done: str


dag = Workflow("bench_dag")
"""A 4-task workflow, A -> (B, C) -> D, each task a little string work (served by workers)."""
_steps = dag.state("steps", final=True)


@_steps.task()
async def task_a(x: Start) -> Start:
    return Start(text=f"a({x.text})")


@_steps.task()
async def task_b(x: Start) -> Left:
    return Left(left=f"b({x.text})")


@_steps.task()
async def task_c(x: Start) -> Right:
    return Right(right=f"c({x.text})")


@_steps.task()
async def task_d(x: Both) -> Done:
    return Done(done=f"d({x.left}, {x.right})")


task_a >> [task_b, task_c]
[task_b, task_c] >> task_d
