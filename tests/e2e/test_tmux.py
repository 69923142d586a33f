"""The installed `ramify` command in a real terminal (tmux), as a user drives it.

What a pipe can't show: the Textual IDE drawing on a tty, keys reaching it, the command palette,
Ctrl+Q leaving cleanly, and start-up failures read off the terminal the user sees. Every wait
polls the screen against a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple

import pytest

from ramify.core import USER, MemoryStore, Session, SQLiteStore
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


def _prompt_value(screen: str, question: str = "name of the new branch") -> str | None:
    """The text in the input box of the prompt asking `question` (None while none shows)."""
    lines = screen.splitlines()
    for index, line in enumerate(lines):
        if question in line and index + 2 < len(lines):
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
PROSE_AFTER_RENAME = "renamed it, now onwards"
RENAMED = "first-chat"


def _sent(terminal: Terminal, text: str, branch: str, position: str) -> None:
    """Wait until `text` shows in the message box, send it, and wait for the settled reply."""
    terminal.wait_for(text, f"{text!r} in the message box")
    terminal.press("Enter")
    terminal.wait_for(f"⑂ {branch}  {position}", f"the reply on {branch} ({position})")


def _chat_fork_and_switch_back(terminal: Terminal) -> None:
    """Chat, fork at the reply, type prose after each dialog, go back to main and chat on."""
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


def _rename_the_checked_out_branch(terminal: Terminal) -> None:
    """F3 on main (the picker starts on the checked-out branch), a new name, then prose."""
    question = "New name for the branch main"
    terminal.press("F3")
    terminal.wait_for("Rename which branch?", "the rename picker")
    terminal.press("Enter")
    terminal.wait_for(lambda screen: _prompt_value(screen, question) == "main", "the rename prompt")
    terminal.press("C-u")
    terminal.wait_for(lambda screen: _prompt_value(screen, question) == "", "the old name cleared")
    terminal.type(RENAMED)
    terminal.wait_for(lambda screen: _prompt_value(screen, question) == RENAMED, "the new name")
    terminal.press("Enter")
    terminal.wait_for(f"⑂ {RENAMED}  4/4", "the renamed branch in the path bar")
    terminal.type(PROSE_AFTER_RENAME)
    _sent(terminal, PROSE_AFTER_RENAME, RENAMED, "6/6")


def _quit(terminal: Terminal) -> None:
    terminal.press("C-q")
    assert terminal.wait_for_exit() == 0, terminal.screen()
    assert "Traceback" not in terminal.screen()


@pytest.mark.timeout(180)
def test_a_newcomers_first_minutes_keep_exactly_what_was_asked_through_reopen_and_export(
    ramify: RamifyCommand, tmp_path: Path
) -> None:
    """Chat, fork, type prose right after each dialog, switch and rename a branch, quit,
    reopen with plain `ramify`, export: only what was sent lands in the database and the
    file, and no forward, fork, edit, branch or session happens that was not asked for."""
    first = ramify.start("--demo")
    _chat_fork_and_switch_back(first)
    _rename_the_checked_out_branch(first)
    _quit(first)

    # Plain `ramify` reopens the session last used, on the renamed branch, where it was.
    reopened = ramify.start()
    reopened.wait_for(f"⑂ {RENAMED}  6/6", "the reopened session on its branch")
    # The tree pane: one row per branch, ● for the one checked out; the transcript at its end.
    expected = (f"● {RENAMED} →", "⑂ side →", PROSE_AFTER_RENAME)
    screen = reopened.wait_for(
        lambda screen: all(text in screen for text in expected), "both branches and the path"
    )
    assert "● main" not in screen
    assert "⑂ main" not in screen
    _quit(reopened)

    exported = tmp_path / "first-minutes.md"
    export = ramify.start("export", "-o", str(exported))
    assert export.wait_for_exit() == 0, export.screen()
    (line,) = lines_of(export.screen())
    assert line.startswith("ramify: wrote ")
    assert line.endswith(f"(tree) to {exported}")
    markdown = exported.read_text(encoding="utf-8")

    saved = asyncio.run(_saved(ramify.database, markdown))
    user_texts = {
        RENAMED: ["hello there", PROSE_AFTER_SWITCH, PROSE_AFTER_RENAME],
        "side": ["hello there", PROSE_AFTER_FORK, PROSE_AFTER_FORWARD],
    }
    assert saved.sessions == 1  # the reopen made no second session
    assert saved.active == RENAMED
    assert saved.texts == user_texts
    assert saved.forwarded == 0
    assert saved.node_count == 10  # 5 questions, 5 replies: nothing else was made
    # The file holds the same two branches, under their names now, and every message.
    assert saved.imported_texts == user_texts
    assert saved.imported_nodes == saved.node_count
    for text in (*user_texts[RENAMED], *user_texts["side"]):
        assert text in markdown
    assert sorted(saved.branch_headings) == [RENAMED, "side"]


class _Saved(NamedTuple):
    sessions: int
    active: str
    texts: dict[str, list[str]]
    node_count: int
    forwarded: int
    imported_texts: dict[str, list[str]]
    imported_nodes: int
    branch_headings: list[str]


async def _user_texts(session: Session) -> dict[str, list[str]]:
    return {
        ref.name: [
            message.text
            for node, message in await session.path_messages(ref.name)
            if node.sender == USER
        ]
        for ref in await session.branches()
    }


async def _saved(database: Path, markdown: str) -> _Saved:
    """What the database holds, and what the exported file holds once imported elsewhere."""
    async with SQLiteStore(database) as store:
        sessions = await store.list_sessions()
        record = sessions[0]  # the latest; the test asserts it is the only one
        session = await Session.open(store, record.id)
        nodes = await store.session_nodes(record.id)
        texts = await _user_texts(session)
    async with MemoryStore() as elsewhere:
        imported = await Session.import_markdown(elsewhere, markdown)
        imported_texts = await _user_texts(imported)
        imported_nodes = len(await elsewhere.session_nodes(imported.id))
    headings = re.findall(r"^## .*Branch `([^`]*)`$", markdown, flags=re.MULTILINE)
    return _Saved(
        sessions=len(sessions),
        active=record.active_branch,
        texts=texts,
        node_count=len(nodes),
        forwarded=sum(node.forwarded_from is not None for node in nodes),
        imported_texts=imported_texts,
        imported_nodes=imported_nodes,
        branch_headings=headings,
    )
