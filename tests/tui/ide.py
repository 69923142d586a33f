"""Drive the whole IDE in-process (Textual pilot) on a real SQLite file, with test agents."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from ramify.core import Agent, InteractionContext, MessagePromise, Ramify, Store, agent
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController


@agent
async def echo(ctx: InteractionContext) -> None:
    """Replies `echo: <last message>`, streamed word by word."""
    history = await ctx.message_promises
    text = f"echo: {history[-1].text}" if history else "echo: (nothing)"

    async def words() -> AsyncIterator[str]:
        for index, word in enumerate(text.split(" ")):
            yield word if index == 0 else " " + word

    ctx.reply(MessagePromise(words()))


@agent
async def shout(ctx: InteractionContext) -> None:
    """Replies with the last message in capitals (a second agent to rerun / forward with)."""
    history = await ctx.message_promises
    ctx.reply(history[-1].text.upper() if history else "")


class Gate:
    """An agent that streams `before`, then waits until `release()` (or cancellation)."""

    def __init__(self, before: tuple[str, ...] = ("partial ", "reply")) -> None:
        self.started = asyncio.Event()
        self.released = asyncio.Event()
        before_tokens = before
        gate = self

        @agent(alias="GATED", cache=False)
        async def gated(ctx: InteractionContext) -> None:
            async def tokens() -> AsyncIterator[str]:
                for token in before_tokens:
                    yield token
                gate.started.set()
                await gate.released.wait()
                yield " done"

            ctx.reply(MessagePromise(tokens()))

        self.agent = gated

    def release(self) -> None:
        self.released.set()


AGENTS: dict[str, Agent] = {echo.alias: echo, shout.alias: shout}


async def workers_done(app: RamifyApp) -> None:
    """Wait for the app's running workers to end. A worker an exclusive group replaced ends
    cancelled, which `wait_for_complete` raises as `WorkerCancelled`: that is ended too."""
    with contextlib.suppress(WorkerCancelled):
        await app.workers.wait_for_complete()


async def until(pilot: Pilot[Any], condition: Callable[[], bool], limit: float = 20) -> None:
    """Let the app work until `condition()` holds (bounded by `limit` seconds)."""
    app = pilot.app
    async with asyncio.timeout(limit):
        while True:
            await pilot.pause()
            if condition():
                return
            await workers_done(app)
            await pilot.pause(0.01)


async def settled(pilot: Pilot[Any]) -> None:
    """Wait until no run is streaming and every pane has settled into the transcript."""
    app = pilot.app
    assert isinstance(app, RamifyApp)
    from ramify.tui.widgets import AgentPanes

    await until(
        pilot,
        lambda: (
            not app.inquiries and not app.query_one(AgentPanes).keys and not app.workers._workers
        ),
    )
    await pilot.pause()


@asynccontextmanager
async def ide(
    store: Store,
    target: Agent = echo,
    *,
    session_id: str | None = None,
    agents: Mapping[str, Agent] | None = None,
    size: tuple[int, int] = (120, 40),
    notifications: bool = False,
    **options: Any,
) -> AsyncIterator[tuple[RamifyApp, Pilot[Any]]]:
    """The IDE on `store`, opened on `session_id` (or the latest session), ready to use.

    `notifications`: show toasts (Textual's `run_test` hides them unless asked).
    """
    known = {**AGENTS, **(agents or {})}

    async def opener(opened: Store) -> SessionController:
        return await SessionController.open(opened, session_id, target, known)

    def make_agent(name: str) -> Agent:
        if name in known:
            return known[name]
        raise ValueError(f"unknown agent {name!r}")

    app = RamifyApp(store, opener, agent_names=tuple(known), make_agent=make_agent, **options)
    runtime = Ramify(errors_as_messages=True, shutdown_timeout=2.0)
    async with runtime, app.run_test(size=size, notifications=notifications) as pilot:
        await until(pilot, lambda: app.controller is not None)
        await pilot.pause()
        yield app, pilot


async def send(app: RamifyApp, pilot: Pilot[Any], text: str) -> None:
    """Type `text` in the composer, press Enter and wait for the reply to settle."""
    from ramify.tui.widgets import Composer

    composer = app.query_one(Composer)
    composer.area.focus()
    composer.text = text
    await pilot.press("enter")
    await settled(pilot)


async def navigate_mode(app: RamifyApp, pilot: Pilot[Any]) -> None:
    """Enter navigate mode (Ctrl+G), where single-letter keys are commands."""
    await pilot.press("ctrl+g")
    await pilot.pause()
    assert app.navigating


def palette_offers(app: RamifyApp, title: str) -> bool:
    """Whether the open command palette lists an entry titled `title` (first is highlighted)."""
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    if not lists:
        return False
    options = lists.first()
    if options.option_count == 0:
        return False
    return title in str(options.get_option_at_index(0).prompt)
