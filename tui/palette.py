"""Command palette hits for every registered action."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ramify.tui.actions import ACTIONS, Action


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


class AgentCommands(Provider):
    """ "Rerun with …" and "Send to …" for every agent or model the app knows."""

    def _names(self) -> list[str]:
        choices = getattr(self.app, "_agent_choices", None)
        return list(choices()) if callable(choices) else []

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        commands: list[tuple[str, str, Callable[[], object]]] = []
        for name in self._names():
            commands.append(
                (f"Rerun with {name}", f"Rerun the selected reply with {name}",
                 partial(self._call, "rerun_with", name))
            )  # fmt: skip
            commands.append(
                (f"Send to {name}", f"Send your next messages to {name}",
                 partial(self._call, "use_target", name))
            )  # fmt: skip
        return commands

    def _call(self, method: str, name: str) -> None:
        self.app.call_later(getattr(self.app, method), name)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
