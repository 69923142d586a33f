"""Tiny host apps that mount one widget with Ramify's real stylesheet and themes (oterm style)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widget import Widget

import ramify.tui
from ramify.themes.ramify import DEFAULT_THEME, register_themes

T = TypeVar("T")

STYLESHEET = Path(ramify.tui.__file__).parent / "ramify.tcss"


class HostApp(App[None]):
    """Mounts whatever `make` returns, styled like the real app."""

    CSS_PATH = STYLESHEET

    def __init__(self, make: Callable[[], Widget | list[Widget]]) -> None:
        super().__init__()
        self._make = make
        self.received: list[object] = []

    def compose(self) -> ComposeResult:
        made = self._make()
        yield from made if isinstance(made, list) else [made]

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = DEFAULT_THEME

    def run_host(self, size: tuple[int, int] = (100, 30)):  # type: ignore[no-untyped-def]
        """`run_test` that records every message any widget handles, for assertions."""
        return self.run_test(size=size, message_hook=self.received.append)


def rendered_text(widget: Widget) -> str:
    """What the widget shows on screen right now, as plain text lines."""
    strips: list[Strip] = widget.render_lines(widget.content_region.reset_offset)
    return "\n".join(strip.text for strip in strips)


def posted(app: HostApp, kind: type[T]) -> list[T]:
    """Messages of `kind` that were posted, once each (a bubbling message is seen per node)."""
    seen: dict[int, T] = {}
    for message in app.received:
        if isinstance(message, kind):
            seen.setdefault(id(message), message)
    return list(seen.values())
