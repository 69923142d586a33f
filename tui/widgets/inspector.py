"""The inspector: everything known about one node, including its raw JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ramify.tui.sanitize import sanitize

FIELDS = ("hash", "parent", "sender", "role", "model", "run", "usage", "time")
"""Keys shown as a summary above the raw JSON, in this order, when present."""


class Inspector(VerticalScroll):
    """Shows a node given as a plain dict: summary fields, then the raw JSON.

    The controller builds the dict (e.g. from `Node` + `Message.model_dump()`); this widget only
    renders it, as text, never markup.
    """

    DEFAULT_CSS = """
    Inspector {
        width: 36%;
        min-width: 32;
        max-width: 56;
        border-left: solid $primary;
        padding: 0 1;
        background: $surface;
    }
    Inspector.-hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("nothing selected", style="dim"), classes="inspector--body")

    def show(self, data: Mapping[str, Any] | None) -> None:
        """Show this node's data (None clears the view)."""
        self.data = dict(data) if data is not None else None
        body = self.query_one(".inspector--body", Static)
        if self.data is None:
            body.update(Text("nothing selected", style="dim"))
            return
        summary = Table.grid(padding=(0, 1))
        summary.add_column(style="bold")
        summary.add_column()
        for key in FIELDS:
            if key in self.data and self.data[key] is not None:
                summary.add_row(Text(key), Text(sanitize(_plain(self.data[key]))))
        raw = json.dumps(self.data, indent=2, sort_keys=True, default=str, ensure_ascii=False)
        body.update(Group(summary, Text(""), Syntax(sanitize(raw), "json", word_wrap=True)))


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return " · ".join(f"{k} {v}" for k, v in value.items())
    return str(value)
