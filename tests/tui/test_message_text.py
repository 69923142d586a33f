"""What you typed is what you see; replies stay Markdown; a forwarded message says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import SQLiteStore, Store
from ramify.tui.view_models import MessageView
from ramify.tui.widgets import MessageWidget, Transcript
from tests.tui.hosts import HostApp
from tests.tui.ide import ide, navigate_mode, send, until

pytestmark = pytest.mark.timeout(60)

WIDTH = 100


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with SQLiteStore(tmp_path / "ide.db") as opened:
        yield opened


def _lines(widget: MessageWidget) -> list[str]:
    """The message's rendered lines below its header, right-stripped."""
    return [strip.text.rstrip() for strip in widget.lines(WIDTH)][1:]


async def _user_lines(text: str) -> list[str]:
    view = MessageView("a" * 64, sender="user", role="user", text=text)
    app = HostApp(lambda: MessageWidget(view))
    async with app.run_host(size=(WIDTH + 4, 30)) as pilot:
        await pilot.pause()
        return _lines(app.query_one(MessageWidget))


async def test_a_users_asterisks_are_shown_as_typed() -> None:
    assert await _user_lines("2*3*4 and *not emphasis*") == ["2*3*4 and *not emphasis*"]


async def test_a_users_html_tag_is_shown_as_typed() -> None:
    assert await _user_lines("wrap it in <div> please") == ["wrap it in <div> please"]


async def test_a_users_hash_line_is_not_a_heading() -> None:
    assert await _user_lines("# not a heading") == ["# not a heading"]


async def test_a_users_line_breaks_are_kept() -> None:
    assert await _user_lines("line one\nline two") == ["line one", "line two"]


async def test_a_50_kb_multi_line_paste_keeps_every_line() -> None:
    pasted = [f"{index:04} " + "x" * 45 for index in range(1_000)]
    shown = await _user_lines("\n".join(pasted))
    assert shown == pasted


async def test_a_model_reply_is_still_markdown() -> None:
    view = MessageView("b" * 64, sender="ECHO", role="assistant", text="# Title\n\n2*3*4 *em*")
    app = HostApp(lambda: MessageWidget(view))
    async with app.run_host(size=(WIDTH + 4, 30)) as pilot:
        await pilot.pause()
        shown = "\n".join(_lines(app.query_one(MessageWidget)))
    assert "# Title" not in shown
    assert "Title" in shown
    assert "*em*" not in shown


async def test_typed_text_with_ctrl_j_shows_both_lines_in_the_ide(store: Store) -> None:
    async with ide(store) as (app, pilot):
        composer = app.query_one("Composer")
        composer.area.focus()
        await pilot.press(*"2*3*4", "ctrl+j", *"<div>")
        await pilot.press("enter")
        await until(pilot, lambda: len(app.query_one(Transcript).views) == 2)
        await until(pilot, lambda: not app.inquiries)
        user = app.query_one(Transcript).query_children(MessageWidget).first()
        assert user.view.text == "2*3*4\n<div>"
        assert _lines(user)[:2] == ["2*3*4", "<div>"]


async def test_a_forwarded_message_shows_a_forwarded_badge(store: Store) -> None:
    async with ide(store) as (app, pilot):
        await send(app, pilot, "hello")
        controller = app.controller
        assert controller is not None
        await controller.session.fork(controller.path[0], "other")
        await controller.refresh()
        await navigate_mode(app, pilot)
        await app._forward_to("branch:other")
        await app.switch_branch("other")
        transcript = app.query_one(Transcript)
        await until(pilot, lambda: [view.node_hash for view in transcript.views] == controller.path)
        first, forwarded = app.query_one(Transcript).query_children(MessageWidget)
        assert forwarded.view.forwarded
        assert not first.view.forwarded
        assert "forwarded" in forwarded.lines(WIDTH)[0].text
        assert "forwarded" not in first.lines(WIDTH)[0].text
