"""Composer: Enter sends, Shift+Enter / Ctrl+J add newlines, the target is shown."""

from __future__ import annotations

from ramify.tui.widgets.composer import Composer
from tests.tui.hosts import HostApp, posted, rendered_text


async def test_enter_sends_and_ctrl_j_or_shift_enter_insert_newlines() -> None:
    app = HostApp(lambda: Composer(target="writer · demo"))
    async with app.run_host() as pilot:
        composer = app.query_one(Composer)
        composer.area.focus()
        await pilot.press("h", "i", "ctrl+j", "t", "h", "e", "r", "e", "shift+enter", "x")
        assert composer.text == "hi\nthere\nx"
        await pilot.press("enter")
        await pilot.pause()
        sent = posted(app, Composer.Submitted)
        assert [(m.text, m.target) for m in sent] == [("hi\nthere\nx", "writer · demo")]
        assert composer.text == ""


async def test_blank_text_is_not_sent() -> None:
    app = HostApp(Composer)
    async with app.run_host() as pilot:
        app.query_one(Composer).area.focus()
        await pilot.press("space", "ctrl+j", "enter")
        await pilot.pause()
        assert posted(app, Composer.Submitted) == []


async def test_target_label_updates_and_shows_markup_literally() -> None:
    app = HostApp(lambda: Composer(target="a"))
    async with app.run_host() as pilot:
        composer = app.query_one(Composer)
        composer.target = "[bold]critic[/] · gpt"
        await pilot.pause()
        assert "to [bold]critic[/] · gpt" in rendered_text(composer.query_one(".composer--target"))
