"""The app keeps the session it opened out of Python's full collections, and gives the process
back its usual collector when it ends."""

from __future__ import annotations

import gc

from ramify.core import MemoryStore, Session, UserMessage
from tests.tui.ide import ide, until


async def test_the_open_sessions_shape_is_frozen_and_everything_is_given_back_at_exit() -> None:
    threshold = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    store = MemoryStore()
    session = await Session.create(store, title="long")
    for index in range(200):
        await session.append(UserMessage(text=f"message {index}"), branch="main")
    async with ide(store, session_id=session.id) as (app, pilot):
        controller = app.controller
        assert controller is not None
        await until(pilot, lambda: len(app.transcript.views) > 0)
        # Loaded after start-up, the controller's maps are frozen once the session showed.
        assert len(controller.path) == 200
        assert gc.is_tracked(controller._children)
        assert _frozen(controller._children)
        assert gc.get_threshold() == (10_000, 10, 10)
        assert gc.get_freeze_count() > frozen_before
    assert gc.get_freeze_count() == frozen_before
    assert gc.get_threshold() == threshold


def _frozen(thing: object) -> bool:
    # `gc.get_objects()` lists the collector's generations, which frozen objects have left.
    return all(candidate is not thing for candidate in gc.get_objects())
