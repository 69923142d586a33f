"""Command palette hits for every registered action."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ramify.tui.actions import ACTIONS, Action


class ActionCommands(Provider):
    """Offers each action of the registry in the command palette (Ctrl+P).

    Running a hit runs the same Textual action its key binding runs, on the app.
    """

    def _run(self, action: Action) -> None:
        self.app.call_later(self.app.run_action, action.action_name)

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
