"""Modal screens of the Ramify IDE (help, prompts)."""

from ramify.tui.screens.help import HelpScreen
from ramify.tui.screens.prompt import PromptScreen

__all__ = ["HelpScreen", "PromptScreen"]
