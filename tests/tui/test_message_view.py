"""A finished message is one widget, and model output shows literally."""

from __future__ import annotations

from ramify.tui.view_models import MessageStatus, MessageView, Usage
from ramify.tui.widgets.message_view import MessageWidget
from tests.tui.hosts import HostApp, rendered_text

INJECTION = "[bold red]boom[/] and \x1b[31mred and [link=x]l[/link]"


async def test_markup_and_ansi_in_a_message_render_literally() -> None:
    view = MessageView(
        "f" * 64,
        sender="[bold]agent[/]",
        role="assistant",
        text=INJECTION,
        model="gpt-[i]x[/i]",
        time="12:00",
        sibling_index=2,
        sibling_count=3,
        usage=Usage(10, 20),
    )
    app = HostApp(lambda: MessageWidget(view))
    async with app.run_host(size=(120, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(MessageWidget)
        shown = rendered_text(widget)
        assert "[bold red]boom[/]" in shown
        assert "\u241b[31mred" in shown
        assert "\x1b" not in shown
        assert "[link=x]l[/link]" in shown
        assert "[bold]agent[/]" in shown
        assert "gpt-[i]x[/i]" in shown
        assert "‹2/3›" in shown
        assert "ffffffff" in shown
        assert "in 10 · out 20" in shown
        assert len(widget.query("*")) == 0  # one widget, no children


async def test_selected_and_status_are_shown() -> None:
    view = MessageView("a1", "bob", "error", "oops", status=MessageStatus.CANCELLED)
    app = HostApp(lambda: MessageWidget(view))
    async with app.run_host() as pilot:
        widget = app.query_one(MessageWidget)
        assert "cancelled" in rendered_text(widget)
        widget.selected = True
        await pilot.pause()
        assert widget.has_class("-selected")
        assert widget.has_class("-role-error")
