"""The one action registry: bindings, palette commands, F1 help and keymaps all come from here.

Harlequin's rule: an action registered once can't be bound yet missing from the help, or shown in
the palette under another name. This module imports no Textual at import time, so the registry can
be read (e.g. by a `--keys` listing) without starting the UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.binding import Binding

APP = "app"
COMPOSER = "composer"


@dataclass(frozen=True, slots=True)
class Action:
    """One user-bindable behaviour.

    Args:
        id: stable id, also the `Binding.id` users remap in their keymap (`nav.parent`).
        key: default key(s), comma-separated Textual key names.
        title: short name shown in the footer, palette and help.
        description: one line saying what it does.
        group: heading in the help screen.
        scope: `app` (bound on the app) or `composer` (bound on the composer's text area).
        show: whether the footer shows it.
    """

    id: str
    key: str
    title: str
    description: str
    group: str
    scope: str = APP
    show: bool = False

    @property
    def action_name(self) -> str:
        """The Textual action this binds to: `nav.parent` -> `nav_parent` (`action_nav_parent`)."""
        return self.id.replace(".", "_")

    @property
    def keys(self) -> tuple[str, ...]:
        """The default keys, split."""
        return tuple(k.strip() for k in self.key.split(",") if k.strip())


ACTIONS: tuple[Action, ...] = (
    Action("send", "enter", "Send", "Send the composer's text to the target agent",
           "Conversation", COMPOSER, show=True),
    Action("composer.newline", "shift+enter,ctrl+j", "Newline",
           "Insert a newline in the composer", "Conversation", COMPOSER),
    Action("target", "a", "Switch agent",
           "Choose the agent or model that receives what you send", "Conversation"),
    Action("cancel", "escape", "Cancel", "Cancel the focused pane's run, keeping the partial reply",
           "Conversation", show=True),
    Action("fork", "f", "Fork here", "Start a new named branch at the selected message",
           "Branches", show=True),
    Action("edit", "e", "Edit & resend", "Edit a user message into a sibling on a new branch",
           "Branches"),
    Action("rerun", "r", "Rerun", "Rerun the agent of the selected message as a sibling",
           "Branches"),
    Action("forward", "t", "Forward", "Forward the selected message to another branch or agent",
           "Branches"),
    Action("branch.switch", "b", "Switch branch", "Check out another branch", "Branches",
           show=True),
    Action("nav.parent", "h", "Parent", "Select the parent message", "Navigate"),
    Action("nav.child", "l", "Child", "Select the remembered child message", "Navigate"),
    Action("nav.prev_sibling", "k", "Previous sibling", "Select the previous sibling", "Navigate"),
    Action("nav.next_sibling", "j", "Next sibling", "Select the next sibling", "Navigate"),
    Action("nav.prev_branch_point", "left_square_bracket", "Previous branch point",
           "Jump to the previous branch point on the path", "Navigate"),
    Action("nav.next_branch_point", "right_square_bracket", "Next branch point",
           "Jump to the next branch point on the path", "Navigate"),
    Action("search", "slash", "Search", "Full-text search over every branch", "Navigate",
           show=True),
    Action("copy.message", "y", "Copy message", "Copy the selected message", "Copy"),
    Action("message.full", "o", "Show all", "Show the whole selected message, however long",
           "View"),
    Action("copy.code", "c", "Copy code", "Copy a code block of the selected message", "Copy"),
    Action("copy.branch", "m", "Copy branch", "Copy the active branch as markdown", "Copy"),
    Action("session.new", "ctrl+n", "New session", "Start a new session", "Session"),
    Action("session.open", "ctrl+o", "Open session", "Open a saved session", "Session"),
    Action("session.save", "ctrl+s", "Save session", "Save the session as markdown", "Session"),
    Action("theme", "f2", "Theme", "Pick a colour theme", "View"),
    Action("inspector.toggle", "i", "Inspector", "Show or hide the node inspector", "View"),
    Action("help", "f1", "Help", "Show every action and its key", "View", show=True),
    Action("quit", "ctrl+q", "Quit", "Quit, cancelling streams and saving what arrived", "Session",
           show=True),
    Action("branch.rename", "f3", "Rename branch", "Give a branch another name", "Branches"),
    Action("branch.delete", "f4", "Delete branch",
           "Delete a branch (asks first); messages other branches reach stay", "Branches"),
    Action("session.rename", "f6", "Rename session", "Give this session another title", "Session"),
    Action("session.delete", "f7", "Delete session",
           "Delete this session (asks first); messages other sessions share stay", "Session"),
    Action("tree.toggle", "ctrl+b", "Branches pane", "Show or hide the branches pane", "View"),
    Action("tree.narrower", "f8", "Narrower branches pane", "Make the branches pane narrower",
           "View"),
    Action("tree.wider", "f9", "Wider branches pane", "Make the branches pane wider", "View"),
)  # fmt: skip

REGISTRY: dict[str, Action] = {action.id: action for action in ACTIONS}


def get_action(action_id: str) -> Action:
    """The registered action with this id (KeyError names the unknown id)."""
    return REGISTRY[action_id]


def effective_keys(action: Action, keymap: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The keys an action answers to once a user keymap (`id -> "k1,k2"`) is applied."""
    if keymap and action.id in keymap:
        return tuple(k.strip() for k in keymap[action.id].split(",") if k.strip())
    return action.keys


def find_clashes(
    actions: Iterable[Action] = ACTIONS, keymap: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Keys claimed by more than one action: `{key: [action ids]}` (empty when clean).

    Keys are compared across scopes too: a composer binding is a priority binding, so it would
    shadow an app binding on the same key whenever the composer has focus.
    """
    owners: dict[str, list[str]] = {}
    for action in actions:
        for key in effective_keys(action, keymap):
            owners.setdefault(key, []).append(action.id)
    return {key: ids for key, ids in owners.items() if len(ids) > 1}


def unknown_keymap_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in a user keymap that name no registered action (to report as config errors)."""
    return sorted(set(keymap) - set(REGISTRY))


def bindings(scope: str = APP) -> list[Binding]:
    """Textual `Binding`s for one scope, each carrying its action id for `App.set_keymap`."""
    from textual.binding import Binding

    return [
        Binding(a.key, a.action_name, a.title, show=a.show, id=a.id, tooltip=a.description)
        for a in ACTIONS
        if a.scope == scope
    ]


def help_rows(keymap: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str]]:
    """`(group, keys, title, description)` for every action, grouped in registry order."""
    groups: dict[str, list[Action]] = {}
    for action in ACTIONS:
        groups.setdefault(action.group, []).append(action)
    return [
        (group, ", ".join(effective_keys(a, keymap)), a.title, a.description)
        for group, members in groups.items()
        for a in members
    ]


def help_text(keymap: Mapping[str, str] | None = None) -> str:
    """The F1 help as plain text: one heading per group, one line per action."""
    lines: list[str] = []
    current = None
    for group, keys, title, description in help_rows(keymap):
        if group != current:
            if lines:
                lines.append("")
            lines.append(group)
            current = group
        lines.append(f"  {keys:<24} {title:<22} {description}")
    return "\n".join(lines)
