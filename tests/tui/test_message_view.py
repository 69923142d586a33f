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


async def test_the_markdown_is_rendered_once_per_width_and_again_when_the_width_changes() -> None:
    text = "# Title\n\n" + "word " * 400 + "\n\n```python\nprint('hi')\n```"
    view = MessageView("c" * 64, "assistant", "assistant", text)
    app = HostApp(lambda: MessageWidget(view))
    async with app.run_host(size=(100, 60)) as pilot:
        await pilot.pause()
        widget = app.query_one(MessageWidget)
        renders: list[int] = []
        real_render = app.console.render

        def counting_render(renderable, options=None):  # type: ignore[no-untyped-def]
            if renderable is widget._renderable:  # the whole message, not its parts
                renders.append(options.max_width)
            return real_render(renderable, options)

        app.console.render = counting_render  # type: ignore[method-assign]
        widget.selected = True  # a restyle draws the same lines with a new background
        await pilot.pause()
        assert renders == []
        assert widget.get_content_height(widget.size, widget.size, widget.size.width) == len(
            widget.lines(widget.size.width)
        )
        assert "print('hi')" in rendered_text(widget)

        await pilot.resize_terminal(70, 60)
        await pilot.pause()
        narrow = widget.size.width
        assert renders == [narrow]  # measured and drawn from one render
        assert "print('hi')" in rendered_text(widget)
