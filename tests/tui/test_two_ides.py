"""Two IDEs on one session, in SQLite and in PostgreSQL, each on its own connection, as two
`ramify` processes would be: each shows the other's messages live, and a reply always lands
under its own input (on a new branch, with a toast, when the other IDE moved the branch
meanwhile)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ramify.core import USER, Agent, Ramify, Session, Store, UserMessage
from ramify.core.store import open_store
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.widgets import Composer, Transcript
from tests.tui.ide import AGENTS, Gate, echo, settled, until

pytestmark = pytest.mark.timeout(90)


@asynccontextmanager
async def _ide(
    stack: AsyncExitStack, path: str, session_id: str, target: Agent
) -> AsyncIterator[tuple[RamifyApp, Pilot[Any]]]:
    store = await stack.enter_async_context(open_store(path))

    async def opener(opened: Store) -> SessionController:
        return await SessionController.open(opened, session_id, target, AGENTS)

    app = RamifyApp(store, opener, agent_names=tuple(AGENTS))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: app.controller is not None)
        yield app, pilot


def _shown(app: RamifyApp) -> list[str]:
    return [view.text for view in app.query_one(Transcript).views]


def _toasts(app: RamifyApp) -> str:
    return "\n".join(str(notification.message) for notification in app._notifications)


async def _type(app: RamifyApp, pilot: Pilot[Any], text: str) -> None:
    composer = app.query_one(Composer)
    composer.area.focus()
    composer.text = text
    await pilot.press("enter")


@pytest.fixture(params=["sqlite", "postgres"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the shared session lives: a SQLite file (the IDEs see each other through its
    change counter), or a PostgreSQL database (through LISTEN/NOTIFY)."""
    if request.param == "sqlite":
        return str(tmp_path / "shared.sqlite3")
    dsn: str = request.getfixturevalue("postgres_dsn")
    return dsn


async def _new_session(path: str) -> str:
    async with open_store(path) as store:
        session = await Session.create(store, title="shared")
        await session.append(UserMessage(text="opening"), sender=USER)
        return session.id


async def test_each_ide_shows_the_others_messages_live(shared: str) -> None:
    path = shared
    session_id = await _new_session(path)
    async with AsyncExitStack() as stack, Ramify(errors_as_messages=True, shutdown_timeout=2.0):
        left, left_pilot = await stack.enter_async_context(_ide(stack, path, session_id, echo))
        right, right_pilot = await stack.enter_async_context(_ide(stack, path, session_id, echo))

        await _type(left, left_pilot, "from the left")
        await settled(left_pilot)
        await until(
            right_pilot, lambda: _shown(right)[-2:] == ["from the left", "echo: from the left"]
        )

        await _type(right, right_pilot, "from the right")
        await settled(right_pilot)
        await until(
            left_pilot, lambda: _shown(left)[-2:] == ["from the right", "echo: from the right"]
        )
        assert _shown(left) == _shown(right)
        assert _shown(left) == [
            "opening",
            "from the left",
            "echo: from the left",
            "from the right",
            "echo: from the right",
        ]


async def test_a_reply_lands_under_its_input_when_the_other_ide_moved_the_branch(
    shared: str,
) -> None:
    path = shared
    session_id = await _new_session(path)
    gate = Gate(before=("slow ",))
    async with AsyncExitStack() as stack, Ramify(errors_as_messages=True, shutdown_timeout=2.0):
        left, left_pilot = await stack.enter_async_context(
            _ide(stack, path, session_id, gate.agent)
        )
        right, right_pilot = await stack.enter_async_context(_ide(stack, path, session_id, echo))

        await _type(left, left_pilot, "asked on the left")
        await until(left_pilot, gate.started.is_set)
        # The right IDE sees the question, then writes on main while the left reply waits.
        await until(right_pilot, lambda: _shown(right)[-1] == "asked on the left")
        await _type(right, right_pilot, "meanwhile on the right")
        await settled(right_pilot)
        gate.release()
        await settled(left_pilot)

        await until(left_pilot, lambda: "main-moved-1" in _toasts(left))
        async with open_store(path) as store:
            session = await Session.open(store, session_id)
            main = [message.text for _, message in await session.path_messages("main")]
            moved = [
                (node.sender, message.text)
                for node, message in await session.path_messages("main-moved-1")
            ]
        assert main == [
            "opening",
            "asked on the left",
            "meanwhile on the right",
            "echo: meanwhile on the right",
        ]
        assert moved == [(USER, "opening"), (USER, "asked on the left"), ("GATED", "slow  done")]
        # The right IDE learns of the new branch without being told.
        await until(right_pilot, lambda: "main-moved-1" in right.controller.heads)
