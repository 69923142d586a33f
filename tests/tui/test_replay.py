"""Replay: a recorded session plays back into the agent panes with no model calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ramify.core import (
    USER,
    InteractionContext,
    MemoryStore,
    MessagePromise,
    Ramify,
    Session,
    UserMessage,
    agent,
)
from ramify.core.testing import Reply, fake_provider
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.events import StreamOpened
from ramify.tui.widgets import Composer, StreamPane, Transcript
from tests.tui.ide import until

pytestmark = pytest.mark.timeout(60)


@agent(alias="STORYTELLER")
async def storyteller(ctx: InteractionContext) -> None:
    history = await ctx.message_promises

    async def tokens() -> AsyncIterator[str]:
        for word in f"once upon a time, {history[-1].text}".split(" "):
            await asyncio.sleep(0.003)  # a model's pace: the recording keeps ms granularity
            yield word + " "

    ctx.reply(MessagePromise(tokens()))


class WatchedApp(RamifyApp):
    """The real app, noting every stream event it handles (Textual then runs the base class's
    handlers too, as it walks the MRO)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[object] = []

    def on_stream_opened(self, event: StreamOpened) -> None:  # type: ignore[override]
        self.seen.append(event)

    def on_stream_pane_finished(self, event: StreamPane.Finished) -> None:
        self.seen.append((event.text, event.pane.state.tokens))


async def _recorded_session(store: MemoryStore) -> Session:
    async with Ramify():
        session = await Session.create(store, title="recorded")
        for prompt in ("a dragon", "a knight"):
            await session.append(UserMessage(text=prompt), sender=USER)
            replies = session.inquire(storyteller)
            await replies
            await replies.recorded()
    return session


async def test_replay_streams_the_recorded_path_into_panes_with_no_model_calls() -> None:
    store = MemoryStore()
    session = await _recorded_session(store)
    expected = [message.text for _, message in await session.path_messages("main")]
    runs = await session.runs()
    assert all(run.timings for run in runs)  # the recording kept how each reply streamed

    async with fake_provider() as provider:
        provider.enqueue(Reply(text="a provider must never be asked"))
        from ramify.core.llm import openai_agent

        live = openai_agent.fork(alias="LIVE", model="gpt-test", base_url=provider.openai_base_url)

        async def opener(opened: Any) -> SessionController:
            controller = SessionController(session, live)
            await controller.load()
            return controller

        app = WatchedApp(store, opener, replay_pace=50.0)
        seen = app.seen
        async with Ramify(errors_as_messages=True), app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.controller is not None)
            await until(pilot, lambda: app._replay_path is None and app._replayed)
            await until(pilot, lambda: len(app.query_one(Transcript).views) == len(expected))
            views = app.query_one(Transcript).views
            assert [view.text for view in views] == expected
            assert not app.query_one(Composer).disabled
        assert provider.requests == []

    opened = [m for m in seen if isinstance(m, StreamOpened)]
    assert [m.agent_alias for m in opened] == ["STORYTELLER", "STORYTELLER"]
    finished = [m for m in seen if isinstance(m, tuple)]
    assert [text for text, _ in finished] == [expected[1], expected[3]]
    # Played at the recorded granularity: one chunk per recorded token, not one big chunk.
    assert all(tokens >= len(text.split()) for text, tokens in finished)
