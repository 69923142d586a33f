"""The installed `ramify` command in a real terminal (tmux), as a user drives it.

What a pipe can't show: the Textual IDE drawing on a tty, keys reaching it, the command palette,
Ctrl+Q leaving cleanly, and start-up failures read off the terminal the user sees. Every wait
polls the screen against a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from ramify.core import USER, Session, SQLiteStore
from ramify.core.store.location import DATABASE_NAME
from tests.e2e.terminal import TMUX, Terminal, lines_of

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

RAMIFY = Path(sys.executable).with_name("ramify")
SIZE = (130, 40)
MESSAGE = "hello from a real terminal"
BRANCH = "e2e-fork"


class RamifyCommand:
    """Starts `ramify` in fresh terminals, all sharing one private home and config."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.config = root / "config.toml"
        self._terminals: list[Terminal] = []

    @property
    def database(self) -> Path:
        return self.home / DATABASE_NAME

    def start(self, *args: str) -> Terminal:
        environment = {"RAMIFY_HOME": str(self.home), "RAMIFY_CONFIG": str(self.config)}
        terminal = Terminal(self.root, [str(RAMIFY), *args], environment, SIZE)
        self._terminals.append(terminal)
        return terminal

    def close(self) -> None:
        for terminal in self._terminals:
            terminal.close()


@pytest.fixture
def ramify(tmp_path: Path) -> Iterator[RamifyCommand]:
    assert RAMIFY.exists(), f"the ramify console script is not installed next to {sys.executable}"
    launcher = RamifyCommand(tmp_path)
    try:
        yield launcher
    finally:
        launcher.close()


def _palette_filtered_to_fork(screen: str) -> bool:
    # With an empty query the palette lists every action; wait until the query has applied.
    return "Start a new named branch" in screen and "Send the composer's text" not in screen


def _prompt_value(screen: str) -> str | None:
    """The text in the fork prompt's input box (None while no prompt shows)."""
    lines = screen.splitlines()
    for index, line in enumerate(lines):
        if "name of the new branch" in line and index + 2 < len(lines):
            box = lines[index + 2]
            return box.split("▊", 1)[1].split("▎", 1)[0].strip() if "▊" in box else None
    return None


def _prompt_filled(screen: str) -> bool:
    return bool(_prompt_value(screen))


@pytest.mark.timeout(90)
def test_chat_fork_and_quit_in_a_real_terminal_are_saved_to_disk(ramify: RamifyCommand) -> None:
    terminal = ramify.start("--demo")
    terminal.wait_for("⑂ main", "the path bar")

    terminal.type(MESSAGE)
    # Enter is a priority binding: pressed before the composer has taken in every typed key, it
    # sends what has arrived so far (see the report on tui/widgets/composer.py). A user sees
    # the text first; so does this test.
    terminal.wait_for(f"▊ {MESSAGE}", "the message in the composer")
    terminal.press("Enter")
    terminal.wait_for("offline demo", "the streamed demo reply")
    terminal.wait_for("⑂ main  2/2", "the reply settled in the transcript")

    terminal.press("C-p")
    terminal.wait_for("Search for commands", "the command palette")
    terminal.type("Fork here")
    terminal.wait_for(_palette_filtered_to_fork, "the palette's Fork here hit")
    terminal.press("Enter")
    proposed = _prompt_value(terminal.wait_for(_prompt_filled, "the proposed branch name"))
    assert proposed == proposed.lower()  # made of the selected reply's first words
    # Ctrl+U is a binding, which Textual runs once the key has bubbled up to the app: keys typed
    # right behind it would be inserted first and then cleared with the rest.
    terminal.press("C-u")
    terminal.wait_for(lambda screen: proposed not in screen, "the proposed name cleared")
    terminal.type(BRANCH)
    terminal.wait_for(f"▊  {BRANCH}", "the new name in the prompt")
    terminal.press("Enter")
    terminal.wait_for(f"⑂ {BRANCH}", "the new branch in the path bar")

    terminal.press("C-q")
    status = terminal.wait_for_exit()
    assert status == 0, terminal.screen()
    assert "Traceback" not in terminal.screen()

    async def saved() -> tuple[dict[str, str], list[tuple[str, str]], str]:
        async with SQLiteStore(ramify.database) as store:
            (record,) = await store.list_sessions()
            session = await Session.open(store, record.id)
            heads = {ref.name: ref.head for ref in await session.branches()}
            path = await session.path_messages(BRANCH)
            return (
                heads,
                [(node.sender, message.text) for node, message in path],
                record.active_branch,
            )

    heads, path, active = asyncio.run(saved())
    assert set(heads) == {"main", BRANCH}
    assert heads[BRANCH] == heads["main"], "the fork starts at the selected (last) message"
    assert active == BRANCH
    user, reply = path
    assert user == (USER, MESSAGE)
    assert reply[0] == "DEMO_AGENT"
    assert "offline demo model" in reply[1]
    assert f"> {MESSAGE}" in reply[1]


@pytest.mark.timeout(90)
def test_version_help_and_start_up_problems_read_cleanly_in_a_real_terminal(
    ramify: RamifyCommand,
) -> None:
    # What tests/test_cli.py checks through pipes is checked here on a tty: exit codes, and the
    # whole screen the user is left with.
    shown = ramify.start("--version")
    assert shown.wait_for_exit() == 0
    assert lines_of(shown.screen()) == [f"ramify {version('ramify')}"]

    helped = ramify.start("--help")
    assert helped.wait_for_exit() == 0
    assert lines_of(helped.screen())[0].startswith("usage: ramify")

    # A damaged database: one line naming it, exit 1, and the file is not touched.
    ramify.database.write_bytes(b"this is not a database\x00\xff" * 200)
    before = ramify.database.read_bytes()
    refused = ramify.start("--demo")
    assert refused.wait_for_exit() == 1
    (line,) = lines_of(refused.screen())
    assert line.startswith("ramify: ")
    assert str(ramify.database) in line
    assert ramify.database.read_bytes() == before
    ramify.database.unlink()

    # A broken config: one warning line, and the IDE still starts on the default settings; the
    # warning is still on the terminal after the IDE's screen is gone.
    ramify.config.write_text('default_agent = "demo"\n[providers\n')
    warned = ramify.start("--demo")
    warned.wait_for("⑂ main", "the IDE despite the broken config")
    warned.press("C-q")
    assert warned.wait_for_exit() == 0
    (line,) = lines_of(warned.screen())
    assert line.startswith(f"ramify: {ramify.config}, line 2")
    assert "default settings" in line


PROSE_AFTER_FORK = "On the fork: tell me about rerun"
PROSE_AFTER_FORWARD = "then forward nothing"
PROSE_AFTER_SWITCH = "back on main: thanks"


def _sent(terminal: Terminal, text: str, branch: str, position: str) -> None:
    """Wait until `text` shows in the message box, send it, and wait for the settled reply."""
    terminal.wait_for(text, f"{text!r} in the message box")
    terminal.press("Enter")
    terminal.wait_for(f"⑂ {branch}  {position}", f"the reply on {branch} ({position})")


@pytest.mark.timeout(120)
def test_a_newcomers_first_minutes_never_turn_prose_into_commands(ramify: RamifyCommand) -> None:
    """Chat, fork, type prose right after each dialog, switch branch: only what was sent lands
    in the database, and no forward, fork or edit happens that was not asked for."""
    terminal = ramify.start("--demo")
    terminal.wait_for("Welcome to Ramify", "the welcome on an empty session")
    terminal.type("hello there")
    _sent(terminal, "hello there", "main", "2/2")

    # Navigate mode, fork at the reply, name the branch.
    terminal.press("C-g")
    terminal.wait_for("NAVIGATE", "navigate mode shown above the message box")
    terminal.type("f")
    terminal.wait_for("name of the new branch", "the fork prompt")
    terminal.press("C-u")
    terminal.wait_for(lambda screen: _prompt_value(screen) == "", "the proposed name cleared")
    terminal.type("side")
    terminal.wait_for("▊  side", "the name typed")
    terminal.press("Enter")
    terminal.wait_for("⑂ side  2/2", "the new branch checked out (the path bar)")
    # Prose right after the dialog: the `t` of "tell" used to open Forward here.
    terminal.type(PROSE_AFTER_FORK)
    _sent(terminal, PROSE_AFTER_FORK, "side", "4/4")

    # A dialog dismissed with Esc (Forward), then prose.
    terminal.press("C-g")
    terminal.wait_for("NAVIGATE", "navigate mode")
    terminal.type("t")
    terminal.wait_for("Forward the selected message to", "the forward picker")
    terminal.press("Escape")
    terminal.wait_for(lambda screen: "Forward the selected" not in screen, "the picker closed")
    terminal.type(PROSE_AFTER_FORWARD)
    _sent(terminal, PROSE_AFTER_FORWARD, "side", "6/6")

    # Switch branch with the picker (the last changed branch is listed first), then prose.
    terminal.press("C-g")
    terminal.wait_for("NAVIGATE", "navigate mode")
    terminal.type("b")
    terminal.wait_for("Switch branch", "the branch picker")
    terminal.wait_for("main · 2 messages", "main with its length in the picker")
    terminal.press("Down", "Enter")
    terminal.wait_for("⑂ main  2/2", "main checked out (the path bar)")
    terminal.type(PROSE_AFTER_SWITCH)
    _sent(terminal, PROSE_AFTER_SWITCH, "main", "4/4")

    terminal.press("C-q")
    assert terminal.wait_for_exit() == 0, terminal.screen()
    assert "Traceback" not in terminal.screen()

    async def saved() -> tuple[dict[str, list[str]], int, int]:
        async with SQLiteStore(ramify.database) as store:
            (record,) = await store.list_sessions()
            session = await Session.open(store, record.id)
            texts = {
                ref.name: [
                    message.text
                    for node, message in await session.path_messages(ref.name)
                    if node.sender == USER
                ]
                for ref in await session.branches()
            }
            nodes = await store.session_nodes(record.id)
            forwarded = sum(node.forwarded_from is not None for node in nodes)
            return texts, len(nodes), forwarded

    texts, node_count, forwarded = asyncio.run(saved())
    assert texts == {
        "main": ["hello there", PROSE_AFTER_SWITCH],
        "side": ["hello there", PROSE_AFTER_FORK, PROSE_AFTER_FORWARD],
    }
    assert forwarded == 0
    assert node_count == 8  # 4 questions, 4 replies: nothing else was made
