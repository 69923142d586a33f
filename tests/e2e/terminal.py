"""A real terminal for end-to-end tests: one command in a fixed-size pane of a private tmux.

Each `Terminal` has its own tmux server (`tmux -L <unique socket>`, no user config), so tests
never touch a tmux the developer is running, and `close()` kills exactly that server. The
command runs under `sh`, which writes its exit status to a file: that is more reliable than
tmux's `#{pane_dead_status}`, which is sometimes empty for a process that exits at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

TMUX = shutil.which("tmux")
POLL = 0.05
"""Seconds between two looks at the screen."""

_RECORD_STATUS = '"$@"; echo "$?" > "$E2E_STATUS_FILE"'


class TerminalTimeout(AssertionError):
    """What the test waited for did not show up in time; the message holds the screen."""


class Terminal:
    """Runs `argv` in a `columns` x `rows` tmux pane with `environment` added.

    Args:
        workdir: a private folder for the tmux config and the exit-status file.
        argv: the command and its arguments.
        environment: variables set for the command (on top of this process's environment).
        size: `(columns, rows)` of the pane.
    """

    def __init__(
        self,
        workdir: Path,
        argv: list[str],
        environment: Mapping[str, str],
        size: tuple[int, int] = (130, 40),
    ) -> None:
        if TMUX is None:
            raise RuntimeError("tmux is not installed")
        self._tmux = TMUX
        self.socket = f"ramify-e2e-{os.getpid()}-{uuid.uuid4().hex[:10]}"
        self.status_file = workdir / f"{self.socket}.status"
        self._config = workdir / f"{self.socket}.conf"
        # The pane stays after the command exits, so its last words can still be read.
        self._config.write_text("set -g remain-on-exit on\nset -g history-limit 5000\n")
        self._env = {**os.environ, **environment, "E2E_STATUS_FILE": str(self.status_file)}
        columns, rows = size
        options: list[str] = []
        for key, value in {**environment, "E2E_STATUS_FILE": str(self.status_file)}.items():
            options += ["-e", f"{key}={value}"]
        self._socket_path: Path | None = None
        try:
            self.tmux(
                "new-session", "-d", "-s", "e2e", "-x", str(columns), "-y", str(rows), *options,
                "sh", "-c", _RECORD_STATUS, "sh", *argv,
            )  # fmt: skip
            self._socket_path = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())
        except BaseException:
            self.close()
            raise

    def tmux(self, *args: str) -> str:
        """Run one tmux command against this terminal's server; its stdout."""
        result = subprocess.run(
            [self._tmux, "-L", self.socket, "-f", str(self._config), *args],
            capture_output=True,
            text=True,
            env=self._env,
            timeout=10,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def screen(self) -> str:
        """The pane as plain text, scrollback included, wrapped lines joined."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "e2e")

    def type(self, text: str) -> None:
        """Type `text` literally (no key names)."""
        self.tmux("send-keys", "-t", "e2e", "-l", text)

    def press(self, *keys: str) -> None:
        """Press tmux key names (`Enter`, `C-p`, `C-q` ...), one send-keys each."""
        for key in keys:
            self.tmux("send-keys", "-t", "e2e", key)

    def wait_for(
        self, ready: str | Callable[[str], bool], what: str, deadline: float = 30.0
    ) -> str:
        """Poll the screen until it contains `ready` (or `ready(screen)` holds); the screen.

        Fails at once, with the screen, if the command exits first.
        """
        check = ready if callable(ready) else (lambda screen: ready in screen)
        give_up = time.monotonic() + deadline
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if self.exit_status() is not None:
                raise TerminalTimeout(f"the command exited before {what}; screen:\n{screen}")
            if time.monotonic() > give_up:
                raise TerminalTimeout(f"no {what} after {deadline:.0f} s; screen:\n{screen}")
            time.sleep(POLL)

    def exit_status(self) -> int | None:
        """The command's exit status once it has exited, else None."""
        try:
            text = self.status_file.read_text()
        except FileNotFoundError:
            return None
        # `echo` may have created the file without writing the line yet.
        return int(text) if text.endswith("\n") else None

    def wait_for_exit(self, deadline: float = 30.0) -> int:
        """Poll until the command has exited; its exit status."""
        give_up = time.monotonic() + deadline
        while (status := self.exit_status()) is None:
            if time.monotonic() > give_up:
                raise TerminalTimeout(
                    f"still running after {deadline:.0f} s; screen:\n{self.screen()}"
                )
            time.sleep(POLL)
        return status

    def close(self) -> None:
        """Kill this terminal's tmux server (and the command, if it still runs)."""
        subprocess.run(
            [self._tmux, "-L", self.socket, "kill-server"],
            capture_output=True,
            env=self._env,
            timeout=10,
            check=False,
        )
        # The server leaves its socket file behind in the shared tmux folder.
        if self._socket_path is not None:
            self._socket_path.unlink(missing_ok=True)
        self._config.unlink(missing_ok=True)


def lines_of(screen: str) -> list[str]:
    """The command's non-blank lines on a screen, right-stripped (tmux's own `Pane is dead`
    notice left out)."""
    return [
        line.rstrip()
        for line in screen.splitlines()
        if line.strip() and not line.startswith("Pane is dead")
    ]
