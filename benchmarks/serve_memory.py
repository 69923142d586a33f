"""Memory of `ramify serve`: the server, and the app process each browser tab costs.

    python -m benchmarks.serve_memory [--tabs 3] [--chromium /usr/bin/chromium]

Starts `ramify serve --demo --port 0` with a private RAMIFY_HOME, opens the tabs one after the
other in headless Chromium (Playwright, the system's binary), sends one prompt in each and
waits for its reply in the store, then reads each process's resident set (VmRSS) and
proportional set (Pss: shared pages split between the processes sharing them, so the tabs'
common Python and libraries count once in total) from /proc. Prints a Markdown table.
Linux only. Needs `pip install -e '.[test]'` and a `chromium` on PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of process `pid`, in KiB."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _wait(condition: Any, what: str, limit: float = 60.0) -> Any:
    deadline = time.monotonic() + limit
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)
    return value


def _replies(database: Path) -> int:
    if not database.exists():
        return 0
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        row = connection.execute("SELECT count(*) FROM runs WHERE status = 'done'").fetchone()
        return int(row[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        connection.close()


def measure(tabs: int, chromium: str) -> list[tuple[str, int, int]]:
    """(what, RSS KiB, PSS KiB) rows."""
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="ramify-serve-mem-"))
    environment = {**os.environ, "RAMIFY_HOME": str(home), "RAMIFY_CONFIG": str(home / "c.toml")}
    server = subprocess.Popen(
        [sys.executable, "-m", "ramify.tui.cli", "serve", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
        start_new_session=True,
    )
    rows: list[tuple[str, int, int]] = []
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"http://\S+", line)
        if match is None:
            raise SystemExit(f"ramify serve did not start: {line!r}")
        url = match.group(0)
        rows.append(("server, no tab", *_memory_kib(server.pid)))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            for number in range(1, tabs + 1):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.route(re.compile(r"^(?!http://127\.0\.0\.1)"), lambda route: route.abort())
                page.goto(url, wait_until="domcontentloaded")
                _wait(lambda n=number: len(_children(server.pid)) >= n, "the tab's app")
                page.wait_for_timeout(3000)  # the app draws its first screen
                page.click(".xterm-helper-textarea", force=True)
                page.keyboard.type(f"hello from tab {number}")
                page.wait_for_timeout(500)
                page.keyboard.press("Enter")
                _wait(lambda n=number: _replies(home / "ramify.sqlite3") >= n, "the reply")
                page.wait_for_timeout(1000)  # the reply settles into the transcript
            for number, pid in enumerate(sorted(_children(server.pid)), start=1):
                rows.append((f"tab {number} app, after one reply", *_memory_kib(pid)))
            rows.append((f"server, {tabs} tabs", *_memory_kib(server.pid)))
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(home, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=3)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    rows = measure(args.tabs, args.chromium)
    print("| process | RSS (MiB) | PSS (MiB) |")
    print("| --- | ---: | ---: |")
    for what, rss, pss in rows:
        print(f"| {what} | {rss / 1024:.0f} | {pss / 1024:.0f} |")


if __name__ == "__main__":
    main()
