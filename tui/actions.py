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
NAVIGATE = "navigate"
"""Scope of single-key commands: bound on the app, active only in navigate mode (Ctrl+G)."""


@dataclass(frozen=True, slots=True)
class Action:
    """One user-bindable behaviour.

    Args:
        id: stable id, also the `Binding.id` users remap in their keymap (`nav.parent`).
        key: default key(s), comma-separated Textual key names.
        title: short name shown in the footer, palette and help.
        description: one line saying what it does.
        group: heading in the help screen.
        scope: `app` (bound on the app, always active), `navigate` (bound on the app, active
            only in navigate mode, so a letter typed as prose never runs a command) or
            `composer` (bound on the composer's text area).
        show: whether the footer shows it.
        steps_aside: the binding is active only in some states and otherwise lets the next
            action on the same key have it (`compose` takes Esc only off the composer, leaving
            it to `cancel` there), so sharing a key with a later action is no clash.
    """

    id: str
    key: str
    title: str
    description: str
    group: str
    scope: str = APP
    show: bool = False
    steps_aside: bool = False

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
    Action("composer.newline", "ctrl+j,shift+enter", "Newline",
           "Insert a newline in the composer", "Conversation", COMPOSER),
    Action("navigate", "ctrl+g", "Navigate",
           "Navigate mode: single keys move and act on messages; Esc returns to typing",
           "Navigate", show=True),
    Action("compose", "escape,enter", "Back to typing",
           "Leave navigate mode (or a pane) and return to the message box", "Navigate",
           show=True, steps_aside=True),
    Action("cancel", "escape", "Cancel", "Cancel the focused pane's run, keeping the partial reply",
           "Conversation", show=True),
    Action("target", "a", "Switch agent",
           "Choose the agent or model that receives what you send", "Conversation", NAVIGATE),
    Action("fork", "f", "Fork here", "Start a new named branch at the selected message",
           "Branches", NAVIGATE, show=True),
    Action("edit", "e", "Edit & resend", "Edit a user message into a sibling on a new branch",
           "Branches", NAVIGATE, show=True),
    Action("rerun", "r", "Rerun", "Rerun the agent of the selected message as a sibling",
           "Branches", NAVIGATE),
    Action("tool.reexecute", "R", "Re-execute tool",
           "Run the selected tool call again as a sibling result (asks first if it has effects)",
           "Branches", NAVIGATE),
    Action("forward", "t", "Forward", "Forward the selected message to another branch or agent",
           "Branches", NAVIGATE),
    Action("branch.switch", "b", "Switch branch", "Check out another branch", "Branches",
           NAVIGATE, show=True),
    Action("nav.parent", "h", "Parent", "Select the parent message", "Navigate", NAVIGATE),
    Action("nav.child", "l", "Child", "Select the remembered child message", "Navigate",
           NAVIGATE),
    Action("nav.prev_sibling", "k", "Previous sibling", "Select the previous sibling",
           "Navigate", NAVIGATE),
    Action("nav.next_sibling", "j", "Next sibling", "Select the next sibling", "Navigate",
           NAVIGATE),
    Action("nav.prev_branch_point", "left_square_bracket", "Previous branch point",
           "Jump to the previous branch point on the path", "Navigate", NAVIGATE),
    Action("nav.next_branch_point", "right_square_bracket", "Next branch point",
           "Jump to the next branch point on the path", "Navigate", NAVIGATE),
    Action("search", "slash", "Search", "Full-text search over every branch", "Navigate",
           NAVIGATE, show=True),
    Action("copy.message", "y", "Copy message", "Copy the selected message", "Copy", NAVIGATE),
    Action("message.full", "o", "Show all", "Show the whole selected message, however long",
           "View", NAVIGATE),
    Action("tool.details", "x", "Tool details",
           "Expand or collapse the selected message's tool calls and result", "View", NAVIGATE),
    Action("copy.code", "c", "Copy code", "Copy a code block of the selected message", "Copy",
           NAVIGATE),
    Action("copy.branch", "m", "Copy branch", "Copy the active branch as markdown", "Copy",
           NAVIGATE),
    Action("session.new", "ctrl+n", "New session", "Start a new session", "Session"),
    Action("session.open", "ctrl+o", "Open session", "Open a saved session", "Session"),
    Action("session.save", "ctrl+s", "Save session", "Save the session as markdown", "Session"),
    Action("theme", "f2", "Theme", "Pick a colour theme", "View"),
    Action("inspector.toggle", "i", "Inspector", "Show or hide the node inspector", "View",
           NAVIGATE),
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
    Action("workflow.resume", "W", "Resume workflow",
           "Continue the workflow run of the selected node; finished tasks are not run again",
           "Workflows", NAVIGATE),
    Action("workflow.rerun_task", "T", "Rerun task",
           "Rerun the selected workflow task and what follows it on a new branch", "Workflows",
           NAVIGATE),
    Action("interrupt.answer", "w", "Answer waiting run",
           "Show the approval or breakpoint a run waits at, to answer it", "Runs", NAVIGATE),
    Action("breakpoint.add", "p", "Add breakpoint",
           "Stop runs before or after a tool or agent (a name or glob)", "Runs", NAVIGATE),
    Action("workflow.run", "f12", "Run workflow…",
           "Run a workflow (FILE.py:NAME) on JSON input, its tasks shown live", "Workflows"),
    Action("workflow.view", "v", "Workflow view",
           "Show or hide the workflow board: states, tasks and their live status", "Workflows",
           NAVIGATE),
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
    shadow an app binding on the same key whenever the composer has focus. An action that
    `steps_aside` may share its key with one other action, which gets the key whenever it steps
    aside (it must come first in `ACTIONS`, so its binding is tried first).
    """
    owners: dict[str, list[Action]] = {}
    for action in actions:
        for key in effective_keys(action, keymap):
            owners.setdefault(key, []).append(action)
    return {
        key: [a.id for a in claimants]
        for key, claimants in owners.items()
        if len(claimants) > 1 and sum(not a.steps_aside for a in claimants) > 1
    }


def unknown_keymap_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in a user keymap that name no registered action (to report as config errors)."""
    return sorted(set(keymap) - set(REGISTRY))


def bindings(scope: str = APP) -> list[Binding]:
    """Textual `Binding`s for one scope, each carrying its action id for `App.set_keymap`."""
    from textual.binding import Binding

    return [
        Binding(a.key, a.action_name, a.title, show=a.show, id=a.id, tooltip=a.description)
        for a in ACTIONS
        if a.scope == scope or (scope == APP and a.scope == NAVIGATE)
    ]


def is_navigation_only(action_name: str) -> bool:
    """Whether Textual action `action_name` is a single-key command of navigate mode."""
    return action_name in _NAVIGATION_ONLY


_NAVIGATION_ONLY = frozenset(a.action_name for a in ACTIONS if a.scope == NAVIGATE)


_KEY_NAMES = {
    "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Space", "backspace": "Backspace",
    "delete": "Del", "up": "↑", "down": "↓", "left": "←", "right": "→", "home": "Home",
    "end": "End", "pageup": "PgUp", "pagedown": "PgDn", "insert": "Ins", "slash": "/",
    "backslash": "\\",
}  # fmt: skip


def key_label(key: str) -> str:
    """A key as people write it: `left_square_bracket` -> `[`, `ctrl+j` -> `Ctrl+J`."""
    *modifiers, name = key.split("+")
    if name in _KEY_NAMES:
        shown = _KEY_NAMES[name]
    elif len(name) == 1:
        shown = name.upper() if modifiers else name
    elif name[0] == "f" and name[1:].isdigit():
        shown = name.upper()
    else:
        from textual.keys import key_to_character

        character = key_to_character(name)
        shown = character if character is not None else name.replace("_", " ")
    return "+".join([*(m.capitalize() for m in modifiers), shown])


EXTRA_HELP: tuple[tuple[str, str, str, str], ...] = (
    ("Conversation", "Tab", "Next pane", "Move focus: message box, transcript, branches"),
    ("Conversation", "Ctrl+P", "Commands", "Every action by name, and \"Send to…\" for each "
     "agent or model"),
    ("Branches", "Ctrl+P", "Rerun with…", "Rerun the selected reply with another agent or model"),
)  # fmt: skip
"""Keys that are Textual's own (focus, the palette), listed in the help beside the registry."""


def help_rows(keymap: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str]]:
    """`(group, keys, title, description)` for every action and `EXTRA_HELP` row, grouped in
    registry order, keys as people write them (`[`, `Esc`, `Ctrl+J`)."""
    groups: dict[str, list[tuple[str, str, str, str]]] = {}
    for action in ACTIONS:
        keys = ", ".join(key_label(k) for k in effective_keys(action, keymap))
        groups.setdefault(action.group, []).append(
            (action.group, keys, action.title, action.description)
        )
    for row in EXTRA_HELP:
        groups.setdefault(row[0], []).append(row)
    return [row for rows in groups.values() for row in rows]


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
