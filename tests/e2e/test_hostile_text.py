"""Hostile error text in a real terminal (tmux): shown as visible symbols, never obeyed.

An agent's error carrying markup, an OSC 52 clipboard write, a window-title change and a
screen clear reached the terminal raw (and its markup crashed the IDE, which exited 0). Here the
error travels the real way, from an agent module run by the installed `ramify`, to a toast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.terminal import TMUX, Terminal

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

RAMIFY = Path(sys.executable).with_name("ramify")

AGENT_MODULE = """
from ramify.core import agent

HOSTILE = (
    "bad [type=float_type, input_value=None] [/] [@click=app.screenshot('pwned.svg')]x[/] "
    "\\x1b]52;c;cHduZWQ=\\x07 \\x1b]0;pwned-title\\x07 \\x1b[2J\\x1b[H end-of-error"
)


@agent(alias="HOSTILE", cache=False)
async def hostile(ctx):
    raise RuntimeError(HOSTILE)
"""


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    module = tmp_path / "hostile_agent.py"
    module.write_text(AGENT_MODULE)
    home = tmp_path / "home"
    home.mkdir()
    environment = {"RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(tmp_path / "config.toml")}
    opened = Terminal(tmp_path, [str(RAMIFY), f"{module}:hostile"], environment, (130, 40))
    try:
        yield opened
    finally:
        opened.close()


@pytest.mark.timeout(90)
def test_hostile_error_text_neither_sets_the_title_nor_clears_the_screen(
    terminal: Terminal,
) -> None:
    # Let applications write tmux's clipboard, so an OSC 52 that got through would show.
    terminal.tmux("set-option", "-g", "set-clipboard", "on")
    title = terminal.tmux("display-message", "-p", "-t", "e2e", "#{pane_title}").strip()
    terminal.wait_for("⑂ main", "the path bar")

    terminal.type("hello")
    terminal.wait_for("▊ hello", "the message in the composer")
    terminal.press("Enter")
    screen = terminal.wait_for("end-of-error", "the error toast")

    flat = screen.replace("\n", "")
    assert "␛]0;pwned-title␇" in flat
    assert "␛]52;c;cHduZWQ=␇" in flat
    assert "[type=float_type, input_value=None]" in flat
    assert "⑂ main" in screen  # nothing cleared the IDE away
    assert terminal.tmux("display-message", "-p", "-t", "e2e", "#{pane_title}").strip() == title
    assert terminal.tmux("list-buffers").strip() == ""
    assert terminal.exit_status() is None

    terminal.press("C-q")
    assert terminal.wait_for_exit() == 0
    assert "Traceback" not in terminal.screen()
