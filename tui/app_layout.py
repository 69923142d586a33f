"""The IDE's layout at any terminal size: responsive classes and the branches-pane actions.

Below `NARROW_BELOW` columns the screen has the class `-narrow`: the branches pane hides by
itself and the inspector floats over the transcript instead of taking columns from it (the
rules are in `ramify.tcss`). The user can still show, hide and resize the branches pane at any
size; an explicit choice (the `-shown` / `-hidden` classes on the pane) outlasts a resize.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.widget import Widget

from ramify.tui.widgets import Composer

NARROW_BELOW = 100
"""Terminal width (columns) under which the screen counts as narrow."""

TREE_STEP = 4
"""Columns the branches pane grows or shrinks by per key press."""

TREE_MIN_WIDTH = 16
"""Narrowest the branches pane can be made."""

CENTRE_MIN_WIDTH = 30
"""Columns always left for the transcript when the branches pane is widened."""


class LayoutActions(App[int]):
    """Mixin for `RamifyApp`: responsive breakpoints and show/hide/resize of the branches pane."""

    # Textual declares this an (instance) attribute, so a ClassVar here fails mypy.
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (NARROW_BELOW, "-wide"),
    ]
    NOTIFICATION_TIMEOUT: ClassVar[float] = 3
    """Seconds a toast stays (Textual's 5 kept stale news over the transcript)."""

    @property
    def tree_pane(self) -> Widget:
        """The branches pane (title and tree)."""
        return self.query_one("#tree-pane")

    def action_tree_toggle(self) -> None:
        self._show_tree(not self.tree_pane.display)

    def action_tree_wider(self) -> None:
        self._resize_tree(TREE_STEP)

    def action_tree_narrower(self) -> None:
        self._resize_tree(-TREE_STEP)

    def _show_tree(self, show: bool) -> None:
        pane = self.tree_pane
        pane.set_class(show, "-shown")
        pane.set_class(not show, "-hidden")
        focused = self.focused
        if not show and focused is not None and pane in focused.ancestors_with_self:
            # A hidden widget keeps focus in Textual: keys would go to a pane nobody sees.
            self.query_one(Composer).area.focus()

    def _resize_tree(self, step: int) -> None:
        pane = self.tree_pane
        if not pane.display:  # the first press brings it back at the width it had
            self._show_tree(True)
            return
        widest = max(TREE_MIN_WIDTH, self.size.width - CENTRE_MIN_WIDTH)
        width = min(widest, max(TREE_MIN_WIDTH, pane.outer_size.width + step))
        pane.styles.max_width = width  # the stylesheet's cap is for the default width only
        pane.styles.width = width
