"""Two windows on one session: each notices the other's commits, shows its new nodes, and says
when another window writes to the branch it shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from ramify.core import USER, Ramify, Session, SQLiteStore, Store, UserMessage
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.widgets import Transcript
from tests.tui.ide import AGENTS, echo, send, until


@asynccontextmanager
async def window(store: Store, session_id: str) -> AsyncIterator[tuple[RamifyApp, Pilot[Any]]]:
    """The IDE on `session_id`, with toasts on (`run_test` turns them off by default)."""

    async def opener(opened: Store) -> SessionController:
        return await SessionController.open(opened, session_id, echo, AGENTS)

    app = RamifyApp(store, opener, agent_names=tuple(AGENTS))
    async with (
        Ramify(errors_as_messages=True, shutdown_timeout=2.0),
        app.run_test(size=(120, 40), notifications=True) as pilot,
    ):
        await until(pilot, lambda: app.controller is not None)
        yield app, pilot


def _toasts(app: RamifyApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def test_a_node_written_by_another_connection_shows_up(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SQLiteStore(path) as mine, SQLiteStore(path) as theirs:
        session = await Session.create(mine)
        await session.append(UserMessage(text="opening"), sender=USER)
        async with window(mine, session.id) as (app, pilot):
            other = await Session.open(theirs, session.id)
            await other.append(UserMessage(text="from the other window"), sender=USER)
            await other.fork(await other.head("main"), "their-branch")  # type: ignore[arg-type]

            await until(pilot, lambda: len(app.controller.path) == 2)
            await until(pilot, lambda: "their-branch" in app.controller.heads)
            texts = [view.text for view in app.query_one(Transcript).views]
            assert texts[-1] == "from the other window"
            await until(
                pilot,
                lambda: any("Another window is writing to branch main" in t for t in _toasts(app)),
            )


async def test_own_writes_raise_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SQLiteStore(path) as mine, SQLiteStore(path) as theirs:
        session = await Session.create(mine)
        await session.append(UserMessage(text="opening"), sender=USER)
        async with window(mine, session.id) as (app, pilot):
            await send(app, pilot, "my own words")
            other = await Session.open(theirs, session.id)
            await other.fork(await other.head("main"), "elsewhere")  # type: ignore[arg-type]
            await until(pilot, lambda: "elsewhere" in app.controller.heads)
            assert not any("Another window" in toast for toast in _toasts(app))


async def test_a_rename_in_another_window_shows_in_the_title(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SQLiteStore(path) as mine, SQLiteStore(path) as theirs:
        session = await Session.create(mine, title="before")
        await session.append(UserMessage(text="opening"), sender=USER)
        async with window(mine, session.id) as (app, pilot):
            await theirs.rename_session(session.id, "after")
            await until(pilot, lambda: app.controller.title == "after")
