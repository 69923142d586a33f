"""Sessions and branches as things the user manages in the IDE: reopening the last used session,
the Ctrl+O list, renaming and deleting with confirmation, and empty sessions not kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import USER, Session, SQLiteStore, Store, UserMessage
from ramify.tui.controller import SessionController
from ramify.tui.screens import ConfirmScreen, PickScreen, PromptScreen, SessionsScreen
from ramify.tui.screens.sessions import row_label
from tests.tui.ide import echo, ide, navigate_mode, send, until


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


async def _session(store: Store, *texts: str, title: str = "") -> Session:
    session = await Session.create(store, title=title)
    for text in texts:
        await session.append(UserMessage(text=text), sender=USER)
    return session


async def test_ramify_reopens_the_session_written_to_last(store: Store) -> None:
    older = await _session(store, "first words")
    await _session(store, "newer words")
    await older.append(UserMessage(text="written just now"))
    controller = await SessionController.open(store, None, echo)
    assert controller.session.id == older.id


async def test_an_empty_new_session_is_not_kept(store: Store) -> None:
    kept = await _session(store, "keep me")
    async with ide(store) as (app, pilot):
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.controller.session.id != kept.id)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.press("escape")
    assert [record.id for record in await store.list_sessions()] == [kept.id]


async def test_the_first_message_titles_a_new_session(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "Plan a\ntrip to [bold]Lisbon[/]")
        title = app.controller.session.title
    assert title == "Plan a trip to [bold]Lisbon[/]"
    assert [record.title for record in await store.list_sessions()] == [title]


async def test_ctrl_o_lists_sessions_by_last_use_with_size_and_first_line(store: Store) -> None:
    older = await _session(store, "the older one", "and more", title="Older")
    newer = await _session(store, "the newer one", title="Newer")
    await older.append(UserMessage(text="used again"))
    async with ide(store, session_id=newer.id) as (app, pilot):
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen))
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        rows = screen.rows
        assert [(r.id, r.title, r.messages, r.first_line) for r in rows] == [
            (older.id, "Older", 3, "the older one"),
            (newer.id, "Newer", 1, "the newer one"),
        ]
        assert rows[1].current
        assert screen.highlighted_id == newer.id
        label = row_label(rows[0]).plain
        assert label.startswith("Older")
        assert f"{rows[0].updated}  ·  3 messages" in label
        assert label.endswith("the older one")


async def test_rename_a_session_from_the_list(store: Store) -> None:
    other = await _session(store, "other", title="Other")
    async with ide(store, session_id=other.id) as (app, pilot):
        await navigate_mode(app, pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one("#prompt-input").value = "Renamed"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: app.controller.session.title == "Renamed")
    assert (await store.get_session(other.id)).title == "Renamed"


async def _delete_from_list(app, pilot, session_id: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    await navigate_mode(app, pilot)
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, SessionsScreen))
    app.screen.highlight(session_id)
    await pilot.press("d")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press(answer)
    await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))


async def test_deleting_a_session_asks_first(store: Store) -> None:
    doomed = await _session(store, "doomed")
    current = await _session(store, "current")
    async with ide(store, session_id=current.id) as (app, pilot):
        await _delete_from_list(app, pilot, doomed.id, "n")
        assert {r.id for r in await store.list_sessions()} == {doomed.id, current.id}
        await _delete_from_list(app, pilot, doomed.id, "y")
        await until(pilot, lambda: app.controller is not None)
        assert [r.id for r in await store.list_sessions()] == [current.id]
        assert app.controller.session.id == current.id


async def test_deleting_the_open_session_opens_the_latest_other(store: Store) -> None:
    other = await _session(store, "other")
    current = await _session(store, "current")
    async with ide(store, session_id=current.id) as (app, pilot):
        await _delete_from_list(app, pilot, current.id, "y")
        await until(pilot, lambda: app.controller.session.id == other.id)
    assert [r.id for r in await store.list_sessions()] == [other.id]


async def test_rename_the_checked_out_branch(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "hello")
        await navigate_mode(app, pilot)
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one("#prompt-input").value = "trunk"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: app.controller.branch == "trunk")
        assert set(app.controller.heads) == {"trunk"}
        session_id = app.controller.session.id
    assert [ref.name for ref in await store.list_refs(session_id)] == ["trunk"]
    assert (await store.get_session(session_id)).active_branch == "trunk"


async def test_delete_a_branch_after_confirming_keeps_the_shared_messages(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "shared question")
        controller = app.controller
        await controller.session.fork(controller.path[0], "side")
        await controller.session.append(UserMessage(text="only on side"), branch="side")
        await controller.refresh()
        await navigate_mode(app, pilot)
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        picker = app.screen
        ids = [key for key, _ in picker.items]  # type: ignore[attr-defined]
        picker.query_one("#pick-list").highlighted = ids.index("side")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: "side" not in app.controller.heads)
        assert app.controller.branch == "main"
        assert len(app.controller.path) == 2
        session_id = controller.session.id
    assert [ref.name for ref in await store.list_refs(session_id)] == ["main"]
    assert len(await store.session_nodes(session_id)) == 2


async def test_the_only_branch_cannot_be_deleted(store: Store) -> None:
    session = await _session(store, "alone")
    controller = await SessionController.open(store, session.id, echo)
    with pytest.raises(ValueError, match="only branch"):
        await controller.delete_branch("main")
