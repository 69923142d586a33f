"""The active branch, root to head, mounted as a sliding window of message widgets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.containers import VerticalScroll
from textual.message import Message

from ramify.tui.view_models import MessageView
from ramify.tui.widgets.message_view import MessageWidget

Loader = Callable[[int, int], Awaitable[list[MessageView]]]
"""Async `(start, stop) -> messages[start:stop]` of the active path, supplied by the controller."""


async def _no_messages(start: int, stop: int) -> list[MessageView]:
    return []


class Transcript(VerticalScroll):
    """The active branch, windowed: only `window` messages are ever mounted.

    A 10,000-message branch mounted whole would be 10,000 widgets (and Textual restyles the DOM on
    every insert), so only a window around the viewport is mounted; pages are fetched from the
    controller's loader as the reader nears either edge, and the far side is trimmed.

    Args:
        window: the most message widgets mounted at once.
        page: how many messages one scroll step loads.
    """

    DEFAULT_CSS = """
    Transcript { height: 1fr; }
    """

    class PageLoaded(Message):
        """A loader page arrived (posted by the fetch worker, applied by the handler)."""

        def __init__(self, generation: int, start: int, views: list[MessageView], mode: str):
            super().__init__()
            self.generation = generation
            self.start = start
            self.views = views
            self.mode = mode

    class WindowChanged(Message):
        """The mounted window is now messages `[start, end)` of `total`."""

        def __init__(self, transcript: Transcript, start: int, end: int, total: int) -> None:
            super().__init__()
            self.transcript = transcript
            self.start = start
            self.end = end
            self.total = total

        @property
        def control(self) -> Transcript:
            return self.transcript

    EDGE = 2
    """Lines from the top/bottom edge at which the next page is fetched."""

    def __init__(
        self,
        *,
        window: int = 120,
        page: int = 40,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        if not 0 < page * 2 <= window:
            raise ValueError("page must be positive and at most half the window")
        self.window_size = window
        self.page = page
        self.total = 0
        self._loader: Loader = _no_messages
        self._start = 0
        self._generation = 0
        self._loading = False
        self._pending_mode = ""
        self._selected: str | None = None
        self._backlog: list[MessageView] = []

    # -- what the app calls -------------------------------------------------------------------

    def set_source(self, total: int, loader: Loader, *, at: int | None = None) -> None:
        """Show a new path of `total` messages; open at the end, or around index `at`."""
        self.total = total
        self._loader = loader
        if at is None:
            # Always load: a path of the same length (another branch) has other messages.
            self._fetch(max(0, total - self.page), total, "end")
        else:
            self.jump_to_index(at)

    def jump_to_start(self) -> None:
        """Show the first messages (Home)."""
        self.release_anchor()
        self._fetch(0, min(self.total, 2 * self.page), "start")

    def jump_to_end(self) -> None:
        """Show the last messages and follow the bottom again (End)."""
        if self._stop == self.total and self.children:
            self._follow()
            return
        self._fetch(max(0, self.total - self.page), self.total, "end")

    def jump_to_index(self, index: int) -> None:
        """Show the message at `index` of the path at the top of the view."""
        index = max(0, min(index, self.total - 1))
        self.release_anchor()
        self._fetch(max(0, index - self.page), min(self.total, index + self.page), f"at:{index}")

    async def append(self, view: MessageView) -> None:
        """A new message settled at the end of the path (e.g. a finished stream)."""
        await self.extend([view])

    async def extend(self, views: list[MessageView]) -> None:
        """New messages settled at the end of the path.

        The first is mounted now and the rest one per frame: a long reply's Markdown is laid
        out in the frame it appears, and eight of them at once made a ~50 ms frame that keys
        waited behind.
        """
        if not views:
            return
        old_total = self.total
        self.total += len(views)
        if self._loading and self._pending_mode == "end":
            # A page for the old end is in flight and would replace what we mount now: ask for
            # the new end instead (the loader already knows the new messages).
            self._fetch(max(0, self.total - self.page), self.total, "end")
            return
        if self._backlog:
            self._backlog.extend(views)  # behind the ones still waiting for their frame
            return
        if self._stop != old_total:
            return  # the reader is elsewhere; the messages load when they scroll down
        first, *rest = views[-self.window_size :]
        if len(views) > self.window_size:
            self._start += len(views) - self.window_size
        self._backlog = rest
        await self._mount_at_end(first)
        if self._backlog:
            self.call_after_refresh(self._mount_next)

    async def _mount_next(self) -> None:
        if not self._backlog:
            return  # a page load took over: it brings these messages itself
        await self._mount_at_end(self._backlog.pop(0))
        if self._backlog:
            self.call_after_refresh(self._mount_next)

    async def _mount_at_end(self, view: MessageView) -> None:
        widget = MessageWidget(view)
        widget.selected = view.node_hash == self._selected
        await self.mount(widget)
        await self._trim(keep="end")
        self._changed()

    def update_view(self, view: MessageView) -> None:
        """Show `view` for its node if that node is mounted (its status changed)."""
        for widget in self._mounted():
            if widget.node_hash == view.node_hash:
                widget.update_view(view)
                return

    def select(self, node_hash: str | None) -> None:
        """Highlight the message with this node hash (if mounted now or later)."""
        self._selected = node_hash
        for widget in self._mounted():
            widget.selected = widget.node_hash == node_hash

    def reveal(self, node_hash: str | None) -> None:
        """Scroll the message with this node hash into view, if it is mounted.

        Navigation moves the selection anywhere in the window; a message that is mounted but
        scrolled off screen must come into view. One not mounted yet arrives with the page a
        `jump_to_index` fetched, which scrolls to it.
        """
        for widget in self._mounted():
            if widget.node_hash == node_hash:
                if widget is not self._mounted()[-1]:
                    self.release_anchor()  # else following the bottom pulls the view back
                self.call_after_refresh(self.scroll_to_widget, widget, animate=False)
                return

    @property
    def window(self) -> tuple[int, int]:
        """The mounted range `[start, stop)` of path indices."""
        return self._start, self._stop

    @property
    def views(self) -> list[MessageView]:
        """The mounted messages, in order."""
        return [widget.view for widget in self._mounted()]

    @property
    def paging(self) -> bool:
        """True while a page is being fetched or applied."""
        return self._loading

    @property
    def is_following(self) -> bool:
        """True while the view sticks to the bottom as content grows."""
        return self.is_anchored and not self._anchor_released

    # -- key bindings inherited from VerticalScroll ---------------------------------------------

    def action_scroll_home(self) -> None:
        self.jump_to_start()

    def action_scroll_end(self) -> None:
        self.jump_to_end()

    # -- windowing -------------------------------------------------------------------------------

    def _mounted(self) -> list[MessageWidget]:
        # Not `query_children`: that matches a CSS selector against every child, ~10 µs each,
        # and the window's edge is asked for many times per settled message.
        return [child for child in self._nodes if isinstance(child, MessageWidget)]

    @property
    def _stop(self) -> int:
        return self._start + len(self._mounted())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._loading or not self.children or round(old_value) == round(new_value):
            return
        if new_value <= self.EDGE and self._start > 0 and new_value < old_value:
            self._fetch(max(0, self._start - self.page), self._start, "prepend")
        elif (
            new_value >= self.max_scroll_y - self.EDGE
            and self._stop < self.total
            and new_value > old_value
        ):
            self._fetch(self._stop, min(self.total, self._stop + self.page), "extend")

    def _fetch(self, start: int, stop: int, mode: str) -> None:
        self._backlog.clear()  # the page comes from the loader, which knows every message
        self._pending_mode = mode
        self._generation += 1
        self._loading = True
        self._load(self._generation, start, stop, mode)

    @work(exclusive=True, group="transcript-window")
    async def _load(self, generation: int, start: int, stop: int, mode: str) -> None:
        # Workers never touch widgets: the page travels back as a message.
        views = await self._loader(start, stop) if stop > start else []
        self.post_message(self.PageLoaded(generation, start, views, mode))

    async def on_transcript_page_loaded(self, event: PageLoaded) -> None:
        event.stop()
        if event.generation != self._generation:
            return  # a newer request superseded this page
        try:
            await self._apply(event)
        finally:
            self._loading = False
        self._changed()

    async def _apply(self, event: PageLoaded) -> None:
        widgets = [MessageWidget(view) for view in event.views]
        for widget in widgets:
            widget.selected = widget.node_hash == self._selected
        mounted = self._mounted()
        if event.mode == "prepend" and event.start + len(widgets) == self._start:
            anchor_widget = mounted[0] if mounted else None
            if widgets:
                await self.mount_all(widgets, before=0)
            self._start = event.start
            await self._trim(keep="start")
            if anchor_widget is not None:
                # Keep the reader's place: the old first message stays at the top of the view.
                self.call_after_refresh(
                    self.scroll_to_widget, anchor_widget, animate=False, top=True
                )
        elif event.mode == "extend" and event.start == self._stop:
            anchor_widget = mounted[-1] if mounted else None
            if widgets:
                await self.mount_all(widgets)
            await self._trim(keep="end")
            if anchor_widget is not None:
                self.call_after_refresh(self.scroll_to_widget, anchor_widget, animate=False)
        else:
            await self.remove_children(mounted)
            self._start = event.start
            if widgets:
                await self.mount_all(widgets)
            if event.mode == "end":
                self._follow()
            elif event.mode == "start":
                self.call_after_refresh(self.scroll_home, animate=False)
            elif event.mode.startswith("at:"):
                index = int(event.mode[3:]) - event.start
                if 0 <= index < len(widgets):
                    target = widgets[index]
                    self.call_after_refresh(self.scroll_to_widget, target, animate=False, top=True)

    async def _trim(self, *, keep: str) -> None:
        mounted = self._mounted()
        excess = len(mounted) - self.window_size
        if excess <= 0:
            return
        if keep == "end":
            await self.remove_children(mounted[:excess])
            self._start += excess
        else:
            await self.remove_children(mounted[-excess:])

    def _follow(self) -> None:
        # Textual#6677: `anchor()` leaves the "released by the user" flag set, so an anchor that
        # scrolling up released never re-engages; End clears the flag itself.
        self._anchor_released = False
        self.anchor()
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def _changed(self) -> None:
        start, stop = self.window
        self.post_message(self.WindowChanged(self, start, stop, self.total))
