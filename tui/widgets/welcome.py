"""The empty state: what to do first, and the few keys that matter."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ramify.tui.actions import effective_keys, get_action, key_label

FIRST_KEYS = (
    ("composer.newline", "new line"),
    ("navigate", "navigate mode: h j k l move, f fork, b branches, / search"),
    ("cancel", "back to typing, or cancel a reply"),
    ("help", "every key"),
)
"""The actions a newcomer needs first, each with what it is for in a few words."""


def welcome_text(keymap: dict[str, str] | None = None) -> Text:
    """The welcome as literal text, keys as the user's keymap has them."""
    text = Text()
    text.append("Welcome to Ramify.\n", style="bold")
    text.append("Type a message below and press Enter to send it.\n\n")
    for action_id, what in FIRST_KEYS:
        keys = effective_keys(get_action(action_id), keymap) or ("",)
        text.append(f"  {key_label(keys[0]):<8}", style="bold")
        text.append(f" {what}\n")
    text.append(f"  {'Ctrl+P':<8}", style="bold")
    text.append(" every command by name\n")
    return text


class Welcome(Static):
    """Shown above the transcript while the session has no message."""

    DEFAULT_CSS = """
    Welcome { padding: 1 2; color: $text-muted; height: auto; }
    """

    def __init__(self, keymap: dict[str, str] | None = None, *, id: str | None = None) -> None:
        super().__init__(welcome_text(keymap), id=id)
