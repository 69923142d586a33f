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
    terminal.wait_for("fork-1", "the branch-name prompt with its default")
    # Ctrl+U is a binding, which Textual runs once the key has bubbled up to the app: keys typed
    # right behind it would be inserted first and then cleared with the rest.
    terminal.press("C-u")
    terminal.wait_for(lambda screen: "fork-1" not in screen, "the name cleared")
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
