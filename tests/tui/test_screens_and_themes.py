"""Prompt modal answers and Ramify's themes."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from ramify.themes.ramify import RAMIFY_DARK, RAMIFY_LIGHT, register_themes
from ramify.tui.screens.prompt import PromptScreen


class PromptApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def ask(self) -> None:
        self.push_screen(
            PromptScreen("fork: branch name?", placeholder="name"), self.answers.append
        )


async def test_prompt_returns_the_answer_or_none_on_escape() -> None:
    app = PromptApp()
    async with app.run_test() as pilot:
        app.ask()
        await pilot.pause()
        await pilot.press("enter")  # blank answers are refused
        await pilot.press(*"idea-2", "enter")
        await pilot.pause()
        app.ask()
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
        assert app.answers == ["idea-2", None]


async def test_ramify_themes_register_and_apply() -> None:
    app = PromptApp()
    async with app.run_test() as pilot:
        register_themes(app)
        for theme in (RAMIFY_LIGHT, RAMIFY_DARK):
            app.theme = theme.name
            await pilot.pause()
            assert app.current_theme.name == theme.name
        assert RAMIFY_DARK.dark
        assert not RAMIFY_LIGHT.dark
