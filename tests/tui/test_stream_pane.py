"""StreamPane and AgentPanes: timer-batched Markdown, one final update, literal output."""

from __future__ import annotations

from typing import Any

from textual.widgets import Markdown

from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets.agent_panes import AgentPanes
from ramify.tui.widgets.stream_pane import StreamPane
from tests.tui.hosts import HostApp, posted, rendered_text

DELTAS = ["# Title\n\n", "Some ", "*prose* ", "here.\n\n", "```python\n", "x = 1\n", "```\n"]


def spy_markdown(md: Markdown) -> dict[str, list[str]]:
    """Count `update` and `append` calls on one Markdown widget."""
    calls: dict[str, list[str]] = {"update": [], "append": []}
    real_update, real_append = md.update, md.append

    def update(text: str) -> Any:
        calls["update"].append(text)
        return real_update(text)

    def append(text: str) -> Any:
        calls["append"].append(text)
        return real_append(text)

    md.update = update  # type: ignore[method-assign]
    md.append = append  # type: ignore[method-assign]
    return calls


async def test_stream_appends_on_timer_and_updates_once_at_the_end() -> None:
    app = HostApp(lambda: StreamPane("writer", "demo-1", key="run-1"))
    async with app.run_host() as pilot:
        pane = app.query_one(StreamPane)
        await pilot.pause()
        calls = spy_markdown(pane.markdown)
        for delta in DELTAS:
            pane.add_tokens(delta)
        assert calls == {"update": [], "append": []}  # nothing per token
        await pilot.pause(0.2)  # let the 50 ms flush timer tick
        assert calls["append"] == ["".join(DELTAS)]  # coalesced into one append
        pane.add_tokens("tail")
        await pane.finish(MessageStatus.DONE)
        await pilot.pause()
        assert calls["update"] == ["".join(DELTAS) + "tail"]
        assert pane.markdown.source == "".join(DELTAS) + "tail"
        assert pane.state.tokens == len(DELTAS) + 1
        assert "done" in rendered_text(pane.query_one(".stream-pane--header"))
        finished = posted(app, StreamPane.Finished)
        assert [(f.text, f.status) for f in finished] == [(pane.text, MessageStatus.DONE)]


async def test_streamed_markup_and_ansi_render_literally() -> None:
    app = HostApp(lambda: StreamPane("[b]x[/b]", key="k"))
    async with app.run_host(size=(100, 20)) as pilot:
        pane = app.query_one(StreamPane)
        await pilot.pause()
        for delta in ["plain [bold red]", "boom[/] then ", "\x1b[31mred"]:
            pane.add_tokens(delta)
        await pane.finish(MessageStatus.DONE)
        await pilot.pause()
        body = "\n".join(rendered_text(block) for block in pane.markdown.children)
        assert "[bold red]boom[/]" in body
        assert "\u241b[31mred" in body
        assert "\x1b" not in pane.markdown.source
        assert "[b]x[/b]" in rendered_text(pane.query_one(".stream-pane--header"))


async def test_finish_refuses_more_tokens_and_marks_status() -> None:
    app = HostApp(lambda: StreamPane("a", key="k"))
    async with app.run_host() as pilot:
        pane = app.query_one(StreamPane)
        pane.add_tokens("partial")
        await pane.finish(MessageStatus.CANCELLED)
        await pilot.pause()
        assert pane.has_class("-cancelled")
        assert pane.markdown.source == "partial"
        try:
            pane.add_tokens("late")
        except RuntimeError:
            pass
        else:
            raise AssertionError("tokens after finish must be refused")


async def test_agent_panes_stream_in_parallel_and_settle_when_finished() -> None:
    app = HostApp(AgentPanes)
    async with app.run_host(size=(160, 30)) as pilot:
        panes = app.query_one(AgentPanes)
        assert panes.has_class("-empty")
        for key in ("a", "b", "c"):
            await panes.open_pane(key, f"agent-{key}", "demo")
        assert len(panes.query(StreamPane)) == 3
        assert not panes.has_class("-empty")
        for i in range(200):
            for key in ("a", "b", "c"):
                panes.add_tokens(key, f"{key}{i} ")
        await pilot.pause(0.1)
        await panes.finish("b", MessageStatus.ERROR)
        await pilot.pause()
        assert panes.keys == ["a", "c"]
        await panes.finish("a")
        await panes.finish("c", MessageStatus.CANCELLED)
        await pilot.pause()
        assert panes.keys == []
        assert panes.has_class("-empty")
        finished = {m.pane.key: m for m in posted(app, StreamPane.Finished)}
        assert finished["a"].text == "".join(f"a{i} " for i in range(200))
        assert finished["b"].status is MessageStatus.ERROR
        settled = [m.key for m in posted(app, AgentPanes.Settled)]
        assert settled == ["b", "a", "c"]
