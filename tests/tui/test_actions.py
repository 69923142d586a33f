"""The action registry feeds bindings, palette and help with nothing missing or clashing."""

from __future__ import annotations

import subprocess
import sys

from textual.app import App, ComposeResult
from textual.widgets import Static

from ramify.tui.actions import (
    ACTIONS,
    APP,
    COMPOSER,
    NAVIGATE,
    REGISTRY,
    bindings,
    find_clashes,
    help_rows,
    help_text,
    key_label,
    unknown_keymap_ids,
)
from ramify.tui.palette import ActionCommands
from ramify.tui.screens.help import HelpScreen
from ramify.tui.widgets.composer import ComposerArea
from tests.tui.hosts import rendered_text

REQUIRED = {
    "send", "cancel", "fork", "edit", "rerun", "forward", "nav.parent", "nav.child",
    "nav.prev_sibling", "nav.next_sibling", "nav.next_branch_point", "nav.prev_branch_point",
    "branch.switch", "search", "copy.message", "copy.code", "copy.branch", "session.new",
    "session.open", "session.save", "theme", "inspector.toggle", "help", "quit",
}  # fmt: skip


class RegistryApp(App[None]):
    """An app bound entirely from the registry, recording the actions it runs."""

    BINDINGS = bindings(APP)  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {ActionCommands}

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []
        for action in ACTIONS:
            setattr(self, f"action_{action.action_name}", self._recorder(action.id))

    def _recorder(self, action_id: str):  # type: ignore[no-untyped-def]
        return lambda: self.ran.append(action_id)

    def compose(self) -> ComposeResult:
        yield Static("host")


def test_registry_has_every_required_action_with_unique_ids() -> None:
    assert set(REGISTRY) >= REQUIRED
    assert len(REGISTRY) == len(ACTIONS)
    for action in ACTIONS:
        assert action.title
        assert action.description
        assert action.group
        assert action.keys


def test_no_two_bindings_clash() -> None:
    assert find_clashes() == {}
    assert find_clashes(keymap={"fork": "h"}) == {"h": ["fork", "nav.parent"]}


def test_bindings_carry_registry_ids_and_composer_matches_registry() -> None:
    app_ids = {b.id for b in bindings(APP)}
    composer_ids = {b.id for b in bindings(COMPOSER)}
    assert app_ids | composer_ids == set(REGISTRY)
    area = {b.id: b.key for b in ComposerArea.BINDINGS}  # type: ignore[union-attr]
    assert area == {a.id: a.key for a in ACTIONS if a.scope == COMPOSER}
    assert unknown_keymap_ids({"fork": "x", "nope": "y"}) == ["nope"]


def test_every_action_appears_in_the_help_text() -> None:
    text = help_text()
    for action in ACTIONS:
        assert action.title in text
        assert action.description in text
    fork_line = next(line for line in help_text({"fork": "alt+x"}).splitlines() if "Fork" in line)
    assert "Alt+X" in fork_line


def test_help_names_keys_as_people_write_them_and_lists_tab_palette_and_rerun_with() -> None:
    text = help_text()
    rows = {title: keys for _group, keys, title, _description in help_rows()}
    assert rows["Previous branch point"] == "["
    assert rows["Next branch point"] == "]"
    assert rows["Search"] == "/"
    assert rows["Cancel"] == "Esc"
    assert rows["Newline"].startswith("Ctrl+J")
    assert rows["Help"] == "F1"
    for raw in ("left_square_bracket", "right_square_bracket", "slash", "escape", "ctrl+"):
        assert raw not in text
    assert rows["Next pane"] == "Tab"
    assert rows["Commands"] == "Ctrl+P"
    assert "Rerun with…" in rows


def test_a_key_shared_with_an_action_that_steps_aside_is_no_clash() -> None:
    assert REGISTRY["compose"].steps_aside
    assert REGISTRY["compose"].keys[0] == REGISTRY["cancel"].keys[0] == "escape"
    assert find_clashes(keymap={"cancel": "ctrl+g"}) == {"ctrl+g": ["navigate", "cancel"]}


def test_single_key_commands_belong_to_navigate_mode() -> None:
    for action in ACTIONS:
        printable = [key for key in action.keys if len(key_label(key)) == 1]
        if printable:
            assert action.scope == NAVIGATE, action.id


async def test_help_screen_lists_every_action() -> None:
    app = RegistryApp()
    async with app.run_test(size=(160, 60)) as pilot:
        await app.push_screen(HelpScreen())
        await pilot.pause()
        shown = rendered_text(app.screen.query_one("#help-body"))
        for action in ACTIONS:
            assert action.title in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_provider_offers_every_action_and_runs_it() -> None:
    app = RegistryApp()
    async with app.run_test() as pilot:
        provider = ActionCommands(app.screen)
        discovered = [hit.text async for hit in provider.discover()]
        assert sorted(discovered) == sorted(a.title for a in ACTIONS)  # type: ignore[type-var]
        for action in ACTIONS:
            hits = [hit async for hit in provider.search(action.title)]
            assert hits, action.id
            best = max(hits, key=lambda hit: hit.score)
            best.command()
            await pilot.pause()
            assert app.ran[-1] == action.id


async def test_keys_and_user_keymap_run_registry_actions() -> None:
    app = RegistryApp()
    async with app.run_test() as pilot:
        await pilot.press("f")
        app.set_keymap({"fork": "ctrl+g"})
        await pilot.press("f", "ctrl+g", "h")
        await pilot.pause()
        assert app.ran == ["fork", "fork", "nav.parent"]


def test_importing_the_registry_and_tui_does_not_import_textual() -> None:
    code = (
        "import sys, ramify.tui, ramify.tui.actions, ramify.tui.view_models, "
        "ramify.tui.sanitize; print('textual' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "False"
