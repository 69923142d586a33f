"""Command palette hits for every registered action."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from ramify.tui.actions import ACTIONS, Action
from ramify.tui.sanitize import sanitize


class ActionCommands(Provider):
    """Offers each action of the registry in the command palette (Ctrl+P).

    Running a hit runs the same method its key binding runs, on the app, in any mode: the
    palette is how navigate-mode commands are reached while typing.
    """

    def _run(self, action: Action) -> None:
        method = getattr(self.app, f"action_{action.action_name}", None)
        if method is not None:
            self.app.call_later(method)

    async def discover(self) -> Hits:
        for action in ACTIONS:
            yield DiscoveryHit(action.title, partial(self._run, action), help=action.description)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in ACTIONS:
            score = max(matcher.match(action.title), matcher.match(action.id))
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(action.title),
                    partial(self._run, action),
                    help=action.description,
                )


def _literal_match(matcher: Matcher, text: str) -> Content:
    """`text` shown literally, its letters matching the query highlighted.

    `Matcher.highlight` parses its text as markup, and agent names come from config files.
    """
    shown = Content(sanitize(text))
    _, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if len(shown) != len(text):
        return shown  # the display form dropped characters: offsets no longer line up
    for offset in offsets:
        shown = shown.stylize(matcher.match_style, offset, offset + 1)
    return shown


class AgentCommands(Provider):
    """ "Rerun with …" and "Send to …" for every agent or model the app knows.

    Names come from config files and agent modules, so they are shown literally, as `Content`:
    the palette reads a plain string (and its help) as markup, which `[x=y, z=None]` crashes.
    """

    def _names(self) -> list[str]:
        choices = getattr(self.app, "_agent_choices", None)
        return list(choices()) if callable(choices) else []

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        commands: list[tuple[str, str, Callable[[], object]]] = []
        for name in self._names():
            commands.append(
                (f"Rerun with {name}", "Rerun the selected reply with this agent or model",
                 partial(self._call, "rerun_with", name))
            )  # fmt: skip
            commands.append(
                (f"Send to {name}", "Send your next messages to this agent or model",
                 partial(self._call, "use_target", name))
            )  # fmt: skip
        return commands

    def _call(self, method: str, name: str) -> None:
        self.app.call_later(getattr(self.app, method), name)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(sanitize(title)), callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    _literal_match(matcher, title),
                    callback,
                    help=help_text,
                )
