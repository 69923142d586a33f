"""StreamPane, LiveTail and AgentPanes: timer-batched repaints from a feed, the reply's last
lines shown literally, no screen layout per flush once a pane is full."""

from __future__ import annotations

from typing import Any

from ramify.tui.stream_feed import StreamFeed
from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets.agent_panes import AgentPanes
from ramify.tui.widgets.live_tail import KEPT_LINES, LiveTail
from ramify.tui.widgets.stream_pane import StreamPane
from tests.tui.hosts import HostApp, posted, rendered_text

DELTAS = ["# Title\n\n", "Some ", "*prose* ", "here.\n\n", "```python\n", "x = 1\n", "```\n"]


def spy_appends(tail: LiveTail) -> list[str]:
    """Record every `append` call on one LiveTail."""
    calls: list[str] = []
    real_append = tail.append

    def append(text: str) -> Any:
        calls.append(text)
        return real_append(text)

    tail.append = append  # type: ignore[method-assign]
    return calls


async def test_stream_repaints_on_timer_not_per_token() -> None:
    app = HostApp(lambda: StreamPane("writer", "demo-1", key="run-1"))
    async with app.run_host() as pilot:
        pane = app.query_one(StreamPane)
        await pilot.pause()
        appends = spy_appends(pane.body)
        for delta in DELTAS:
            pane.add_tokens(delta)
        assert appends == []  # nothing per token
        await pilot.pause(0.2)  # let the 50 ms flush timer tick
        assert appends == ["".join(DELTAS)]  # coalesced into one append
        pane.add_tokens("tail")
        await pane.finish(MessageStatus.DONE)
        await pilot.pause()
        assert appends == ["".join(DELTAS), "tail"]
        assert pane.text == "".join(DELTAS) + "tail"
        assert pane.state.tokens == len(DELTAS) + 1
        assert "done" in rendered_text(pane.query_one(".stream-pane--header"))
        shown = rendered_text(pane.body).rstrip().splitlines()
        assert [line.rstrip() for line in shown[-3:]] == [
            "x = 1", "```", "tail",
        ]  # fmt: skip
        finished = posted(app, StreamPane.Finished)
        assert [(f.text, f.status) for f in finished] == [(pane.text, MessageStatus.DONE)]


async def test_a_pane_takes_its_text_from_the_feed_a_worker_fills() -> None:
    feed = StreamFeed()
    app = HostApp(lambda: StreamPane("writer", key="k", feed=feed))
    async with app.run_host() as pilot:
        pane = app.query_one(StreamPane)
        feed.put("hello ", 2)
        feed.put("world", 1)
        await pilot.pause(0.2)
        assert "hello world" in rendered_text(pane.body)
        assert pane.state.tokens == 3
        feed.put(", again", 1)  # still in the feed when the stream ends: finish takes it
        await pane.finish(MessageStatus.DONE)
        await pilot.pause()
        finished = posted(app, StreamPane.Finished)
        assert [f.text for f in finished] == ["hello world, again"]
        assert pane.state.tokens == 4
        assert feed.take() == ("", 0)


async def test_streamed_markup_and_ansi_render_literally() -> None:
    app = HostApp(lambda: StreamPane("[b]x[/b]", key="k"))
    async with app.run_host(size=(100, 20)) as pilot:
        pane = app.query_one(StreamPane)
        await pilot.pause()
        for delta in ["plain [bold red]", "boom[/] then ", "\x1b[31mred"]:
            pane.add_tokens(delta)
        await pane.finish(MessageStatus.DONE)
        await pilot.pause()
        body = rendered_text(pane.body)
        assert "[bold red]boom[/]" in body
        assert "\u241b[31mred" in body
        assert "\x1b" not in pane.text
        assert "[b]x[/b]" in rendered_text(pane.query_one(".stream-pane--header"))


async def test_finish_refuses_more_tokens_and_marks_status() -> None:
    app = HostApp(lambda: StreamPane("a", key="k"))
    async with app.run_host() as pilot:
        pane = app.query_one(StreamPane)
        pane.add_tokens("partial")
        await pane.finish(MessageStatus.CANCELLED)
        await pilot.pause()
        assert pane.has_class("-cancelled")
        assert "partial" in rendered_text(pane.body)
        try:
            pane.add_tokens("late")
        except RuntimeError:
            pass
        else:
            raise AssertionError("tokens after finish must be refused")


async def test_live_tail_shows_the_last_lines_wrapped_to_its_width() -> None:
    app = HostApp(lambda: LiveTail())
    async with app.run_host(size=(20, 30)) as pilot:
        tail = app.query_one(LiveTail)
        await pilot.pause()
        assert rendered_text(tail).strip() == "…"  # nothing yet: a placeholder
        tail.append("".join(f"line {n}\n" for n in range(30)))
        tail.append("and a last line that is longer than the widget is wide")
        await pilot.pause()
        shown = [line.rstrip() for line in rendered_text(tail).splitlines()]
        assert tail.size.height == 10  # its max-height
        assert shown == [
            "line 23", "line 24", "line 25", "line 26", "line 27", "line 28", "line 29",
            "and a last line that", "is longer than the", "widget is wide",
        ]  # fmt: skip


async def test_live_tail_grows_in_steps_then_repaints_without_layout() -> None:
    app = HostApp(lambda: LiveTail())
    async with app.run_host(size=(40, 30)) as pilot:
        tail = app.query_one(LiveTail)
        await pilot.pause()
        heights = []
        layouts = layouts_when_full = 0
        real_refresh = tail.refresh

        def refresh(*args: Any, **kwargs: Any) -> Any:
            nonlocal layouts
            layouts += bool(kwargs.get("layout"))
            return real_refresh(*args, **kwargs)

        tail.refresh = refresh  # type: ignore[method-assign]
        for n in range(KEPT_LINES + 6):
            tail.append(f"line {n}\n")
            await pilot.pause()
            heights.append(tail.size.height)
            if n == 10:
                layouts_when_full = layouts
        assert heights[:7] == [1, 5, 5, 5, 5, 10, 10]  # in two steps, to its max-height
        assert set(heights[5:]) == {10}
        assert layouts == layouts_when_full  # none at all once it was full
        assert len(tail.text.splitlines()) == KEPT_LINES  # memory stays bounded
        assert rendered_text(tail).splitlines()[-1].rstrip() == f"line {KEPT_LINES + 5}"


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


async def test_a_finished_pane_holds_one_copy_of_its_text() -> None:
    """A 20 MB reply is not joined once for the pane and once more for `Finished`."""
    app = HostApp(lambda: StreamPane("writer", key="k"))
    async with app.run_host() as pilot:
        pane = app.query_one(StreamPane)
        await pilot.pause()
        for delta in DELTAS:
            pane.add_tokens(delta)
        await pane.finish(MessageStatus.DONE)
        await pilot.pause()
        [finished] = posted(app, StreamPane.Finished)
        assert finished.text == "".join(DELTAS)
        assert finished.text is pane.text
