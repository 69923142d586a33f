"""`ramify serve` as a real subprocess, and browser tabs on it driven by Playwright.

The browser is the system's Chromium (`.ci/run` installs Debian's `chromium`); Playwright never
downloads its own. Every request the page makes outside the server is aborted (the page asks
for a web font), so a test never reaches the network.

The IDE draws on a canvas, so there is no DOM text to read. A `Tab` keeps what the app sent
over the websocket (the terminal output), which tells when something was drawn; what the app
did is read from the session database (`Store`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE_SERVERS = os.environ.get("RAMIFY_REQUIRE_SERVERS") == "1"
_T = TypeVar("_T")


def need_browser() -> None:
    """Skip (or, with RAMIFY_REQUIRE_SERVERS=1, fail) when Chromium or Playwright is missing."""
    problem = None
    if CHROMIUM is None:
        problem = "chromium is not installed (.ci/run installs it: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem is None:
        return
    if REQUIRE_SERVERS:
        pytest.fail(f"RAMIFY_REQUIRE_SERVERS=1 but {problem}")
    pytest.skip(problem)


def wait_until(condition: Callable[[], _T], what: str, limit: float = 30.0) -> _T:
    """Poll `condition` until it returns something truthy (bounded by `limit` seconds)."""
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Server:
    """A running `ramify serve ARGS --port 0` and the URL it printed."""

    def __init__(self, args: list[str], environment: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ramify.tui.cli", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **environment},
            start_new_session=True,  # a stray Ctrl+C in the test run does not reach it
        )
        self.output: list[str] = []
        self.errors: list[str] = []
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._readers = [
            threading.Thread(target=_drain, args=(stream, lines), daemon=True)
            for stream, lines in (
                (self.process.stdout, self.output),
                (self.process.stderr, self.errors),
            )
        ]
        for reader in self._readers:
            reader.start()
        line = wait_until(self._url_line, "the server's 'Serving Ramify on' line")
        match = re.search(r"http://\S+", line)
        assert match is not None, line
        self.url = match.group(0)

    def _url_line(self) -> str | None:
        if self.process.poll() is not None and not self.output:
            raise AssertionError(f"ramify serve ended: {self.stderr()}")
        return next((line for line in self.output if "Serving Ramify on" in line), None)

    def tab_processes(self) -> list[int]:
        """The pids of the app processes the server runs, one per open tab."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except FileNotFoundError:
            return []

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            for reader in self._readers:
                reader.join(timeout=5)

    def stderr(self) -> str:
        """What the server wrote on stderr so far."""
        return "".join(self.errors)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Tab:
    """One browser tab on the served IDE; `drawn` is everything the app sent it so far."""

    def __init__(self, browser: Any, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        self.page.route(re.compile(r"^(?!http://(127\.0\.0\.1|localhost))"), _abort)
        self._frames: list[str] = []
        self.page.on("websocket", self._watch)
        self.page.goto(url, wait_until="domcontentloaded")

    def _watch(self, websocket: Any) -> None:
        def received(payload: str | bytes) -> None:
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
            self._frames.append(text)

        websocket.on("framereceived", received)

    def drawn(self, since: int = 0) -> str:
        """What the app sent from frame number `since` on."""
        return "".join(self._frames[since:])

    def mark(self) -> int:
        """The number of frames so far, to wait for what is drawn after now."""
        return len(self._frames)

    def wait_for_drawn(self, text: str, limit: float = 30.0, since: int = 0) -> None:
        """Wait until the app has drawn `text` in this tab (from frame `since` on)."""
        deadline = time.monotonic() + limit
        while text not in self.drawn(since):
            if time.monotonic() > deadline:
                raise AssertionError(f"the tab never drew {text!r}")
            self.page.wait_for_timeout(50)  # lets Playwright deliver the frames

    def focus(self) -> None:
        """Click into the terminal, as a user must before typing."""
        self.page.click(".xterm-helper-textarea", force=True)

    def send(self, prompt: str) -> None:
        """Type `prompt`, wait until the message box shows it, and press Enter."""
        start = self.mark()
        self.page.keyboard.type(prompt)
        self.wait_for_drawn(prompt, since=start)
        self.page.keyboard.press("Enter")


def _drain(stream: Any, lines: list[str]) -> None:
    for line in stream:
        lines.append(line)


def _abort(route: Any) -> None:
    route.abort()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (the system's binary) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


class Store:
    """Read-only looks at the session database the served tabs write to."""

    def __init__(self, home: Path) -> None:
        self.path = home / "ramify.sqlite3"

    def _rows(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        if not self.path.exists():
            return []
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        try:
            return connection.execute(query, params).fetchall()
        except sqlite3.OperationalError:  # the schema is being created
            return []
        finally:
            connection.close()

    def node_of(self, text: str) -> str | None:
        """The node of the (first) message whose text is `text`."""
        rows = self._rows(
            "SELECT nodes.hash FROM nodes JOIN messages ON messages.hash = nodes.message "
            "WHERE messages.text = ? ORDER BY nodes.rowid LIMIT 1",
            text,
        )
        return rows[0][0] if rows else None

    def replies_to(self, node: str) -> list[tuple[str, str]]:
        """(node hash, text) of the messages recorded under `node`."""
        return [
            (row[0], row[1])
            for row in self._rows(
                "SELECT nodes.hash, messages.text FROM nodes "
                "JOIN messages ON messages.hash = nodes.message WHERE nodes.parent = ?",
                node,
            )
        ]

    def parent_of(self, node: str) -> str | None:
        rows = self._rows("SELECT parent FROM nodes WHERE hash = ?", node)
        return rows[0][0] if rows else None

    def runs(self) -> list[tuple[str, str]]:
        """(run id, status) of every run, oldest first."""
        return [(r[0], r[1]) for r in self._rows("SELECT id, status FROM runs ORDER BY started_at")]

    def run_outputs(self, run_id: str) -> list[dict[str, Any]]:
        """The messages a run recorded, as stored (JSON)."""
        import json

        rows = self._rows(
            "SELECT messages.data FROM nodes JOIN messages ON messages.hash = nodes.message "
            "WHERE nodes.run_id = ?",
            run_id,
        )
        return [json.loads(row[0]) for row in rows]

    def refs(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT name FROM refs ORDER BY name")]
