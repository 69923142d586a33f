"""Modal screens of the Ramify IDE (help, prompts, pickers, the editor, interrupts)."""

from ramify.tui.screens.confirm import ConfirmScreen
from ramify.tui.screens.edit import EditScreen
from ramify.tui.screens.full_text import FullTextScreen
from ramify.tui.screens.help import HelpScreen
from ramify.tui.screens.interrupt import InterruptChoice, InterruptScreen, InterruptView
from ramify.tui.screens.pick import PickScreen
from ramify.tui.screens.prompt import PromptScreen
from ramify.tui.screens.sessions import SessionRow, SessionsScreen

__all__ = [
    "ConfirmScreen",
    "EditScreen",
    "FullTextScreen",
    "HelpScreen",
    "InterruptChoice",
    "InterruptScreen",
    "InterruptView",
    "PickScreen",
    "PromptScreen",
    "SessionRow",
    "SessionsScreen",
]
