"""`ramify serve` in a real browser: headless Chromium driven by Playwright.

Each test starts `ramify serve` as a subprocess on a free port with its own RAMIFY_HOME, opens
tabs on it, and checks what the apps did in the session database.
"""

from __future__ import annotations

import http.client
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.served import Server, Store, Tab, chromium, need_browser, wait_until

pytestmark = [pytest.mark.slow]

READY = "Enter sends"
"""Part of the message box's placeholder: the IDE is up and waiting for a prompt."""

SLOW_AGENT = """
import asyncio

from ramify.core import InteractionContext, MessagePromise, agent


@agent(alias="SLOW", cache=False)
async def slow(ctx: InteractionContext) -> None:
    async def tokens():
        yield "half-way-token "
        await asyncio.Event().wait()

    ctx.reply(MessagePromise(tokens()))
"""


@pytest.fixture
def home() -> Path:
    return Path(os.environ["RAMIFY_HOME"])


@pytest.fixture
def browser() -> Iterator[object]:
    need_browser()
    with chromium() as launched:
        yield launched


@pytest.fixture
def demo_server(home: Path) -> Iterator[Server]:
    server = Server(["--demo"], {"RAMIFY_HOME": str(home)})
    try:
        yield server
    finally:
        server.stop()
        server.kill()


def _distinct_colours(png: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None
    return len(colours)


def _reply_to(store: Store, prompt: str) -> str:
    """Wait until the reply to `prompt` is recorded; its text."""
    node = wait_until(lambda: store.node_of(prompt), f"the prompt {prompt!r} in the store")
    replies = wait_until(lambda: store.replies_to(node), f"the reply to {prompt!r}", limit=60)
    return replies[0][1]


@pytest.mark.timeout(120)
def test_a_prompt_typed_in_the_browser_is_answered_and_drawn(
    browser: object, demo_server: Server, home: Path, tmp_path: Path
) -> None:
    tab = Tab(browser, demo_server.url)
    tab.wait_for_drawn(READY)
    tab.focus()
    tab.send("hello from the browser")
    store = Store(home)
    assert "hello from the browser" in _reply_to(store, "hello from the browser")
    tab.wait_for_drawn("offline demo model")  # the reply reached the screen too
    shot = tab.page.screenshot(path=str(tmp_path / "served.png"))
    # A blank or one-colour page has a handful of colours; the IDE's panes, text and borders
    # have far more (antialiased text alone gives dozens).
    assert _distinct_colours(shot) > 50


@pytest.mark.timeout(120)
def test_saving_in_the_browser_downloads_the_session_as_markdown(
    browser: object, demo_server: Server, home: Path, tmp_path: Path
) -> None:
    tab = Tab(browser, demo_server.url)
    tab.wait_for_drawn(READY)
    tab.focus()
    tab.send("keep this conversation")
    _reply_to(Store(home), "keep this conversation")
    with tab.page.expect_download(timeout=30_000) as download_info:
        tab.page.keyboard.press("Control+s")
    download = download_info.value
    assert download.suggested_filename == "keep-this-conversation.md"
    saved = tmp_path / "saved.md"
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("<!-- ramify-session format=")
    assert "keep this conversation" in text
    # Nothing was written on the server's side: the file went to the browser only.
    assert not list(Path.cwd().glob("keep-this-conversation*.md"))


@pytest.mark.timeout(180)
def test_two_tabs_on_one_session_see_each_others_messages(
    browser: object, demo_server: Server, home: Path
) -> None:
    store = Store(home)
    first = Tab(browser, demo_server.url)
    first.wait_for_drawn(READY)
    first.focus()
    first.send("opening words")
    _reply_to(store, "opening words")
    # The second tab opens the latest session: the one the first tab wrote to.
    second = Tab(browser, demo_server.url)
    second.wait_for_drawn("opening words")
    assert len(demo_server.tab_processes()) == 2  # one app process per tab

    first.send("zebracrossing")
    _reply_to(store, "zebracrossing")
    second.wait_for_drawn("zebracrossing")  # the other tab's new message, live
    second.wait_for_drawn(READY)
    second.focus()
    second.send("answer from the second tab")
    _reply_to(store, "answer from the second tab")
    # It went on the same branch, after the first tab's reply: the second tab had caught up.
    answer = store.node_of("answer from the second tab")
    zebra_reply = store.replies_to(store.node_of("zebracrossing") or "")[0][0]
    assert answer is not None
    assert store.parent_of(answer) == zebra_reply
    assert store.refs() == ["main"]


@pytest.mark.timeout(180)
def test_tabs_opened_at_once_each_get_their_own_working_app(
    browser: object, demo_server: Server, home: Path
) -> None:
    tabs = [Tab(browser, demo_server.url) for _ in range(3)]
    for tab in tabs:
        tab.wait_for_drawn(READY)
    assert len(demo_server.tab_processes()) == 3
    for number, tab in enumerate(tabs):
        tab.focus()
        tab.send(f"tab number {number}")
    store = Store(home)
    for number in range(3):
        assert f"tab number {number}" in _reply_to(store, f"tab number {number}")


@pytest.mark.timeout(120)
def test_a_closed_tab_cancels_its_run_and_records_it(
    browser: object, home: Path, tmp_path: Path
) -> None:
    agent_file = tmp_path / "slow.py"
    agent_file.write_text(SLOW_AGENT)
    server = Server([f"{agent_file}:slow"], {"RAMIFY_HOME": str(home)})
    try:
        store = Store(home)
        tab = Tab(browser, server.url)
        tab.wait_for_drawn(READY)
        tab.focus()
        tab.send("start something long")
        tab.wait_for_drawn("half-way-token")  # streaming, and never going to finish
        [(run_id, status)] = store.runs()
        assert status == "running"
        [app_process] = server.tab_processes()
        tab.page.close()
        # As for Ctrl+Q: the run is cancelled, what arrived is kept, and the app ends.
        wait_until(lambda: store.runs() == [(run_id, "cancelled")], "the run recorded cancelled")
        [partial] = store.run_outputs(run_id)
        assert partial["text"] == "half-way-token "
        assert partial["cancelled"] is True
        wait_until(lambda: app_process not in server.tab_processes(), "the tab's app to end")
        assert server.stop() == 0
        # The app cancelled its run itself (Textual's bare exit would leave it to the
        # runtime's shutdown timeout, which reports the stragglers it had to cancel), and
        # nothing else was said: no traceback, no warning about a process left behind.
        assert server.output == [f"Serving Ramify on {server.url} (Ctrl+C stops)\n"]
        assert server.stderr() == ""
    finally:
        server.stop()
        server.kill()


@pytest.mark.timeout(120)
def test_stopping_the_server_cancels_and_records_the_runs_of_open_tabs(
    browser: object, home: Path, tmp_path: Path
) -> None:
    agent_file = tmp_path / "slow.py"
    agent_file.write_text(SLOW_AGENT)
    server = Server([f"{agent_file}:slow"], {"RAMIFY_HOME": str(home)})
    try:
        store = Store(home)
        tab = Tab(browser, server.url)
        tab.wait_for_drawn(READY)
        tab.focus()
        tab.send("start something long")
        tab.wait_for_drawn("half-way-token")
        assert server.stop() == 0
        [(_, status)] = store.runs()
        assert status == "cancelled"
        assert server.output == [f"Serving Ramify on {server.url} (Ctrl+C stops)\n"]
        assert server.stderr() == ""
    finally:
        server.kill()


def _ramify_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ramify.tui.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _ramify_serve("--demo", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == (
        f"ramify: port {port} on 127.0.0.1 is already in use; stop what uses it or pick "
        "another port with --port\n"
    )
    assert result.stdout == ""


def test_a_network_address_needs_the_public_flag() -> None:
    result = _ramify_serve("--host", "0.0.0.0")
    assert result.returncode == 2
    assert "add --public" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_public_serving_warns_that_there_is_no_authentication(home: Path) -> None:
    server = Server(["--demo", "--public"], {"RAMIFY_HOME": str(home)})
    try:
        assert server.stop() == 0
        assert "without authentication" in server.stderr()
        assert "Set RAMIFY_SERVE_TOKEN to require a token" in server.stderr()
    finally:
        server.kill()


def _get(url: str, path: str, headers: dict[str, str]) -> int:
    return _fetch(url, path, headers)[0]


def _fetch(url: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_on_loopback_only_loopback_names_and_same_site_websockets_are_served(
    home: Path,
) -> None:
    server = Server(["--demo"], {"RAMIFY_HOME": str(home)})
    try:
        own = urlsplit(server.url).netloc
        assert _get(server.url, "/", {"Host": own}) == 200
        # The page sends the browser's websocket to the host the browser used.
        port = urlsplit(server.url).port
        status, page = _fetch(server.url, "/", {"Host": f"localhost:{port}"})
        assert status == 200
        assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in page
        # A site whose name was rebound to 127.0.0.1 reaches the port under its own name.
        assert _get(server.url, "/", {"Host": "attacker.example:80"}) == 403
        # A page of another site opening the websocket (browsers send its Origin).
        upgrade = {
            "Host": own,
            "Origin": "http://attacker.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
        assert _get(server.url, "/ws", upgrade) == 403
        assert server.tab_processes() == []  # no app was started for it
    finally:
        server.stop()
        server.kill()


@pytest.mark.timeout(120)
def test_with_a_token_nothing_is_served_until_the_browser_shows_it(
    browser: object, home: Path
) -> None:
    token = "a-long-enough-test-token-0123"
    server = Server(["--demo"], {"RAMIFY_HOME": str(home), "RAMIFY_SERVE_TOKEN": token})
    try:
        own = urlsplit(server.url).netloc
        assert _get(server.url, "/", {"Host": own}) == 403
        assert _get(server.url, "/?token=not-the-right-one-0123", {"Host": own}) == 403
        assert _get(server.url, "/static/js/textual.js", {"Host": own}) == 403
        websocket = {"Host": own, "Connection": "Upgrade", "Upgrade": "websocket"}
        assert _get(server.url, "/ws", websocket) == 403
        # The browser opens the URL with the token once; the cookie carries it from then on.
        tab = Tab(browser, f"{server.url}/?token={token}")
        tab.wait_for_drawn(READY)
        assert urlsplit(tab.page.url).query == ""  # the token left the address bar
        assert len(server.tab_processes()) == 1
        # The tab's app does not see the token.
        [app] = server.tab_processes()
        environment = Path(f"/proc/{app}/environ").read_bytes().split(b"\0")
        assert not any(item.startswith(b"RAMIFY_SERVE_TOKEN=") for item in environment)
        assert token not in "".join(server.output) + server.stderr()
    finally:
        server.stop()
        server.kill()
