"""The IDE at scale: long branches, long histories, many agents, big trees, cold start, export.

First frames, which only mean something in a real terminal, are timed on the real ``ramify``
in a pseudo-terminal: from spawning it until a marker of the frame appears in what it writes.
Everything else runs the real `RamifyApp` in-process under Textual's headless pilot, on real
SQLite files built with `put_nodes`. There, "on screen" means Textual finished a frame after
the change: `App.post_display_hook` runs once the compositor's update is made (headless mode
skips only writing it to the terminal). Keys are posted from a thread, as a terminal driver's
input thread posts them, so a key pressed while the event loop is busy waits as a user's would.
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from textual import events
from textual.widgets import OptionList
from textual.worker import WorkerCancelled

from ramify.core import (
    USER,
    Agent,
    AssistantMessage,
    InteractionContext,
    Message,
    MessagePromise,
    Node,
    Ramify,
    Session,
    SQLiteStore,
    Store,
    UserMessage,
    agent,
)
from ramify.tui.app import RamifyApp
from ramify.tui.controller import SessionController
from ramify.tui.screens import PickScreen
from ramify.tui.widgets import AgentPanes, BranchTree, Composer, FullText, MessageWidget

from .coldstart import ramify_command
from .table import Row

__all__ = ["END_MARKER", "build_branch", "build_tree", "expected_reply", "parallel_team", "run"]

SIZE = (120, 40)
"""Terminal columns x rows, in-process and in the pseudo-terminal."""
END_MARKER = "zebraquartz"
"""A word only the last message of a built branch holds: the long branch's first-frame marker."""
KEY_INTERVAL = 0.05
"""Seconds between two presses of the typist: 20 keys/s, a fast typist."""
WIDGET_CEILING = 400
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


# --- sessions ------------------------------------------------------------------------------------


def _turn(index: int) -> tuple[Message, str]:
    words = " ".join(_WORDS[(index * k) % len(_WORDS)] for k in (1, 3, 5))
    if index % 2 == 0:
        return UserMessage(text=f"question {index}: what about {words}?"), USER
    text = f"Answer {index} on {words}.\n\n- one point\n- another\n\n```python\nx = {index}\n```"
    return AssistantMessage(text=text, model="bench"), "BOT"


async def _stored(store: Store, title: str, nodes: list[Node], messages: list[Message]) -> Session:
    session = await Session.create(store, title=title)
    for start in range(0, len(nodes), 5_000):
        await store.put_nodes(
            nodes[start : start + 5_000], messages[start : start + 5_000], session_id=session.id
        )
    return session


async def build_branch(store: Store, count: int) -> Session:
    """A session whose `main` is `count` alternating user and bot messages; only the last one
    holds `END_MARKER`."""
    nodes: list[Node] = []
    messages: list[Message] = []
    parent: str | None = None
    for index in range(count):
        message, sender = _turn(index)
        if index == count - 1:
            message = UserMessage(text=f"the last message, number {index}: {END_MARKER}")
        node = Node(message=message.hash_key, parent=parent, sender=sender, created_at=index)
        parent = node.hash_key
        nodes.append(node)
        messages.append(message)
    session = await _stored(store, "long branch", nodes, messages)
    if parent is not None:
        await store.move_ref(session.id, "main", parent, expected=None, reason="bench")
    return session


async def build_tree(
    store: Store, total: int, forks: int, *, side: int = 3
) -> tuple[Session, str, str]:
    """A `total`-node session: a `main` chain with `forks` side branches (`side-N`) of `side`
    messages each, evenly spaced.

    Returns the session, a word only one message holds (the tip of the side branch 80% down the
    chain, a deep search hit) and that side branch's name.
    """
    length = total - forks * side
    nodes: list[Node] = []
    messages: list[Message] = []
    chain: list[str] = []
    for index in range(length):
        message, sender = _turn(index)
        parent = chain[-1] if chain else None
        node = Node(message=message.hash_key, parent=parent, sender=sender, created_at=index)
        chain.append(node.hash_key)
        nodes.append(node)
        messages.append(message)
    heads = {"main": chain[-1]}
    step = length // (forks + 1)
    for fork in range(forks):
        parent = chain[(fork + 1) * step]
        for turn in range(side):
            message = AssistantMessage(text=f"side answer {fork}.{turn}: sidemark{fork}x{turn}")
            created = length + fork * side + turn
            node = Node(message=message.hash_key, parent=parent, sender="BOT", created_at=created)
            parent = node.hash_key
            nodes.append(node)
            messages.append(message)
        heads[f"side-{fork}"] = parent
    session = await _stored(store, "big tree", nodes, messages)
    for name, head in heads.items():
        await store.move_ref(session.id, name, head, expected=None, reason="bench")
    deep = forks * 4 // 5
    return session, f"sidemark{deep}x{side - 1}", f"side-{deep}"


# --- agents --------------------------------------------------------------------------------------


def _token(agent_index: int, index: int) -> str:
    return f"a{agent_index}w{index}" + ("\n\n" if index % 40 == 39 else " ")


def expected_reply(agent_index: int, tokens: int) -> str:
    """The whole text sub-agent `agent_index` of `parallel_team` streams."""
    return "".join(_token(agent_index, index) for index in range(tokens))


@agent(alias="STREAMER", cache=False)
async def _streamer(ctx: InteractionContext, index: int = 0, tokens: int = 0) -> None:
    """Streams `tokens` tokens with no pacing: between two, it only yields to the event loop."""

    async def produce() -> AsyncIterator[str]:
        for number in range(tokens):
            yield _token(index, number)
            await asyncio.sleep(0)

    ctx.reply(MessagePromise(produce()))


@agent(alias="TEAM", cache=False)
async def _team(ctx: InteractionContext, agents: int = 8, tokens: int = 2_000) -> None:
    """`agents` streamers reply at once, out of order, as `examples/parallel_team.py` does."""
    for index in range(agents):
        streamer = _streamer.fork(alias=f"AGENT-{index}", index=index, tokens=tokens)
        ctx.reply_out_of_order(streamer.inquire())


def parallel_team(agents: int = 8, tokens: int = 2_000) -> Agent:
    """A team whose `agents` sub-agents (`AGENT-0`...) each stream `tokens` tokens at once."""
    return _team.fork(agents=agents, tokens=tokens)


REPLY_2KB = "".join(f"word{i}" + ("\n\n" if i % 40 == 39 else " ") for i in range(400))[:2048]


_WRITER_STARTS: list[float] = []
"""When `_writer` yielded its first token, each time it ran."""


@agent(alias="WRITER", cache=False)
async def _writer(ctx: InteractionContext) -> None:
    """Streams `REPLY_2KB` in 4-character tokens with no pacing."""

    async def produce() -> AsyncIterator[str]:
        _WRITER_STARTS.append(time.perf_counter())
        for start in range(0, len(REPLY_2KB), 4):
            yield REPLY_2KB[start : start + 4]
            await asyncio.sleep(0)

    ctx.reply(MessagePromise(produce()))


HUGE_CHUNK = 1_000
"""Characters per chunk of a huge reply (a fast provider's stream, as the pump joins it)."""


def huge_reply(size: int) -> str:
    """`size` characters of Markdown-ish prose, one line per sentence, ending in `END`."""
    line = "The quick brown fox jumps over the *lazy* dog, `again` and again: 0123456789.\n"
    return (line * (size // len(line) + 1))[: size - 3] + "END"


@agent(alias="HUGE", cache=False)
async def _huge(ctx: InteractionContext, size: int = 0) -> None:
    """Streams `huge_reply(size)` in `HUGE_CHUNK`-character chunks with no pacing."""
    text = huge_reply(size)

    async def produce() -> AsyncIterator[str]:
        for start in range(0, len(text), HUGE_CHUNK):
            yield text[start : start + HUGE_CHUNK]
            await asyncio.sleep(0)

    ctx.reply(MessagePromise(produce()))


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- the app in-process --------------------------------------------------------------------------


class FrameClock:
    """Watches the frames an app puts out; `when(condition)` is the first one it holds at."""

    def __init__(self, app: RamifyApp) -> None:
        self._watches: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        self.listeners: list[Callable[[float], None]] = []
        self.open_seconds = 0.0
        app.post_display_hook = self._frame  # type: ignore[method-assign]

    def _frame(self) -> None:
        now = time.perf_counter()
        for listener in self.listeners:
            listener(now)
        for watch in list(self._watches):
            condition, future = watch
            if not future.done() and condition():
                future.set_result(now)
            if future.done():
                self._watches.remove(watch)

    async def when(self, condition: Callable[[], bool], since: float) -> float:
        """Milliseconds from `since` to the first frame after which `condition()` held."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._watches.append((condition, future))
        return (await asyncio.wait_for(future, 60) - since) * 1000


def press(app: RamifyApp, key: str) -> float:
    """Post a key event as the terminal driver does; the time it was pressed."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    pressed = time.perf_counter()
    app.post_message(event)
    return pressed


class Typist:
    """Presses `key` every `KEY_INTERVAL` s from a thread and notes when each press was on screen.

    Args:
        progress: how many presses the app has applied (e.g. characters in the composer).
    """

    def __init__(
        self, app: RamifyApp, clock: FrameClock, key: str, progress: Callable[[], int]
    ) -> None:
        self._app = app
        self._clock = clock
        self._key = key
        self._progress = progress
        self._base = progress()
        self._loop = asyncio.get_running_loop()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._type, daemon=True)
        self.pressed: list[float] = []
        self.shown: list[float] = []

    def __enter__(self) -> Typist:
        self._clock.listeners.append(self._frame)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _type(self) -> None:
        while not self._stop.is_set():
            event = events.Key(self._key, self._key if len(self._key) == 1 else None)
            event.set_sender(self._app)
            self.pressed.append(time.perf_counter())
            self._loop.call_soon_threadsafe(self._app.post_message, event)
            self._stop.wait(KEY_INTERVAL)

    def _frame(self, now: float) -> None:
        applied = min(self._progress() - self._base, len(self.pressed))
        self.shown += [now] * (applied - len(self.shown))

    async def latencies(self) -> list[float]:
        """Milliseconds from each press to the frame showing it (call once typing stopped)."""
        await _until(lambda: len(self.shown) >= len(self.pressed))
        self._clock.listeners.remove(self._frame)
        pairs = zip(self.pressed, self.shown, strict=True)
        return [(shown - pressed) * 1000 for pressed, shown in pairs]


async def _until(condition: Callable[[], bool], limit: float = 120) -> None:
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the state lives in the app; nothing to await
            await asyncio.sleep(0.002)


async def _in_app(app: RamifyApp, function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Await `function(*args)` run by the app's own message loop, as its handlers run."""
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def call() -> None:
        try:
            done.set_result(await function(*args))
        except Exception as error:
            done.set_exception(error)

    app.call_later(call)
    return await done


@asynccontextmanager
async def _ide(
    store: Store, session_id: str, target: Agent
) -> AsyncIterator[tuple[RamifyApp, FrameClock]]:
    """The real app on `store`, opened on `session_id`, its first page and tree shown."""

    async def opener(opened: Store) -> SessionController:
        return await SessionController.open(opened, session_id, target)

    app = RamifyApp(store, opener)
    started = time.perf_counter()
    async with Ramify(errors_as_messages=True, shutdown_timeout=2.0), app.run_test(size=SIZE):
        clock = FrameClock(app)
        await _until(lambda: _opened(app))
        clock.open_seconds = time.perf_counter() - started
        await _settle(app)
        yield app, clock


def _opened(app: RamifyApp) -> bool:
    controller = app.controller
    if controller is None or app.transcript.paging:
        return False
    return not controller.path or bool(app.query_one(BranchTree).root.children)


async def _settle(app: RamifyApp) -> None:
    """Until nothing runs, streams or loads, and the screen caught up."""
    panes = app.query_one(AgentPanes)
    await _until(lambda: not app.inquiries and not panes.keys and not app.transcript.paging)
    for worker in list(app.workers):
        # An exclusive worker (the store watcher) replaced by a newer one is cancelled: done.
        with suppress(WorkerCancelled):
            await worker.wait()
    await asyncio.sleep(0.05)


def _shown(app: RamifyApp, node_hash: str) -> bool:
    """Whether the message `node_hash` is mounted, inside the viewport, and nothing loads."""
    transcript = app.transcript
    if transcript.paging:
        return False
    for widget in transcript.query_children(MessageWidget):
        if widget.node_hash == node_hash:
            top = widget.virtual_region.y
            return transcript.scroll_y - 1 <= top < transcript.scroll_y + transcript.size.height
    return False


def _window_matches(app: RamifyApp, expected: list[tuple[Node, Message]]) -> bool:
    start, stop = app.transcript.window
    want = [(node.hash_key, message.text) for node, message in expected[start:stop]]
    return [(view.node_hash, view.text) for view in app.transcript.views] == want


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else 0


# --- scenarios -----------------------------------------------------------------------------------


class Bench:
    """Runs the scenarios in `directory` (full size, or smaller and without verdicts if `quick`)
    and collects their rows."""

    def __init__(self, directory: Path, quick: bool) -> None:
        self.directory = directory
        self.quick = quick
        self.rows: list[Row] = []
        self.branch = 2_000 if quick else 10_000
        self.repeats = 2 if quick else 5

    def row(self, name: str, value: float | None, unit: str, goal: str = "", **fields: Any) -> None:
        if self.quick:
            fields["met"] = None  # the goals are stated for the full sizes
        self.rows.append(Row(section="tui", name=name, ours=value, unit=unit, goal=goal, **fields))

    def home(self, name: str) -> Path:
        """A fresh `RAMIFY_HOME` for the spawned IDE."""
        home = self.directory / name
        home.mkdir(exist_ok=True)
        return home

    def branch_database(self) -> Path:
        """A home whose database holds one `self.branch`-message session (built once)."""
        home = self.home("long")
        path = home / "ramify.sqlite3"
        if not path.exists():
            asyncio.run(_with_store(path, lambda store: build_branch(store, self.branch)))
        return home

    def first_frames(self) -> None:
        took = _pty_median(self.repeats, self.home("empty"), b"Branches")
        self.row(
            "`ramify --demo` first frame (pty, empty database)", took, "ms", "<= 500 ms",
            met=took is not None and took <= 500,
            note=f"median of {self.repeats} spawns after a warm-up one, until the tree pane's "
            "title is written to the pseudo-terminal",
        )  # fmt: skip
        loaded = _sdks_at_first_frame(self.home("lazy"))
        self.row(
            "provider SDK modules loaded at the first frame", len(loaded), "", "0 (lazy)",
            met=not loaded,
            note="`ramify --demo` in a pseudo-terminal; which of openai, anthropic, httpx2 were "
            f"in sys.modules as its first frame went out: {', '.join(loaded) or 'none'}",
        )  # fmt: skip
        took = _pty_median(self.repeats, self.branch_database(), END_MARKER.encode())
        self.row(
            f"{self.branch:,}-message branch: first frame with its last message (pty)", took,
            "ms", "<= 1000 ms", met=took is not None and took <= 1000,
            note=f"`ramify --demo` opening a session of one {self.branch:,}-message branch; "
            "median, spawn until the last message's text is written",
        )  # fmt: skip

    async def long_branch(self, home: Path) -> None:
        async with SQLiteStore(home / "ramify.sqlite3") as store:
            record = (await store.list_sessions())[0]
            expected = await (await Session.open(store, record.id)).path_messages("main")
            async with _ide(store, record.id, _writer) as (app, clock):
                ok, home_ms, end_ms, widgets = await _scroll_through(app, clock, expected)
        self.row(
            f"{self.branch:,}-message branch: widgets in the DOM, most at any time", widgets, "",
            f"<= {WIDGET_CEILING}", met=widgets <= WIDGET_CEILING,
            note="the whole app (`app.query('*')`) after opening, Home, 3 pages down and End",
        )  # fmt: skip
        for name, took in (("Home, first", home_ms), ("End, last", end_ms)):
            self.row(
                f"{self.branch:,}-message branch: {name} message on screen", took, "ms",
                "nothing lost", met=ok,
                note="in the transcript, from the key to the frame showing the message; met: "
                "the mounted window at the top, 3 pages down and back at the end held exactly "
                "the store's path, in order" if name.startswith("Home") else "",
            )  # fmt: skip

    async def history(self) -> None:
        # Each figure ends on a frame, and frames come on a 60/s grid: a few rounds land on
        # one side of a tick or the other (~47 vs ~30 ms); nine give a steady median.
        rounds = 2 if self.quick else 9
        totals: dict[int, list[float]] = {}
        streams: dict[int, list[float]] = {}
        for count in (0, self.branch):
            async with SQLiteStore(self.directory / f"history-{count}.sqlite3") as store:
                if count:
                    session = await build_branch(store, count)
                else:
                    session = await Session.create(store, title="empty")
                async with _ide(store, session.id, _writer) as (app, clock):
                    figures = [await _stream_reply(app, clock) for _ in range(rounds)]
            totals[count] = [total for total, _ in figures]
            streams[count] = [streamed for _, streamed in figures]
        for label, figures, what in (
            ("Enter to reply settled", totals, "Enter to the frame showing the whole reply "
             "settled in the transcript"),
            ("first token to reply settled", streams, "the agent's first token to the frame "
             "showing the reply settled in the transcript (the UI's share)"),
        ):  # fmt: skip
            base, long = (statistics.median(figures[count]) for count in (0, self.branch))
            self.row(
                f"2 KB reply into {self.branch:,} messages of history: {label}", long, "ms",
                "<= 1.5x empty history", met=long <= 1.5 * base, floor=base,
                floor_name="the same with an empty history",
                note=f"{what}; median of {rounds}; 512 tokens, no pacing; "
                f"{long / base:.1f}x the empty-history figure (floor column)",
            )  # fmt: skip

    async def huge_replies(self) -> None:
        sizes = (1_000_000, 2_000_000) if self.quick else (6_000_000, 20_000_000)
        # One unmeasured 200 KB reply first, so the first figure does not also pay for what
        # any first reply of a process does (imports, caches): as after the other scenarios.
        async with SQLiteStore(self.directory / "huge-warm-up.sqlite3") as store:
            session = await Session.create(store, title="warm-up")
            async with _ide(store, session.id, _huge.fork(size=200_000)) as (app, clock):
                await _huge_round(app, clock, huge_reply(200_000))
        for size, goal_s in zip(sizes, (2.0, 5.0), strict=True):
            async with SQLiteStore(self.directory / f"huge-{size}.sqlite3") as store:
                session = await Session.create(store, title="huge")
                target = _huge.fork(size=size)
                async with _ide(store, session.id, target) as (app, clock):
                    took, cpu, above, ok = await _huge_round(app, clock, huge_reply(size))
            label = f"{size / 1_000_000:.0f} MB reply"
            self.row(
                f"{label}: Enter to settled", took / 1000, "s", f"<= {goal_s:.0f} s",
                met=ok and took / 1000 <= goal_s,
                note=f"{HUGE_CHUNK:,}-character chunks, no pacing; the process used {cpu:.2f} s "
                "of CPU meanwhile; met also needs nothing lost: the stored reply, the "
                "transcript's view and show-all's last row end with the reply's end, and the "
                "transcript renders only its beginning",
            )  # fmt: skip
            self.row(
                f"{label}: RSS above the app's baseline, peak", above, "MB", "<= 300 MB",
                met=above <= 300,
                note="highest resident set size seen at any frame from Enter to settled, "
                "minus the one before Enter",
            )  # fmt: skip

    async def many_agents(self) -> None:
        agents, tokens = 8, (300 if self.quick else 2_000)
        # A round lasts ~0.3 s, so ~6 keys each: six rounds give a p95 that is not one key.
        rounds = 1 if self.quick else 6
        latencies: list[float] = []
        durations: list[float] = []
        correct = True
        async with SQLiteStore(self.directory / "agents.sqlite3") as store:
            session = await Session.create(store, title="agents")
            async with _ide(store, session.id, parallel_team(agents, tokens)) as (app, clock):
                for number in range(rounds):
                    took, ok, typed = await _parallel_round(app, clock, number, agents, tokens)
                    durations.append(took)
                    correct = correct and ok
                    latencies += typed
        self.row(
            f"{agents} agents x {tokens:,} tokens at once: all recorded",
            statistics.median(durations), "s", "all right", met=correct,
            note=f"median of {rounds} runs, Enter until every reply is recorded and settled; "
            f"met: each run added the user's message and {agents} replies, each exactly the "
            "text its agent streamed",
        )  # fmt: skip
        p95 = _p95(latencies)
        self.row(
            "keypress to screen while they stream, p95", p95, "ms", "<= 50 ms", met=p95 <= 50,
            note=f"{len(latencies)} keys typed into the composer at 20/s from Enter until all "
            "replies settled; from posting the key (as the terminal's input thread does) to "
            f"the first frame after the composer held it; p50 {statistics.median(latencies):.0f}"
            f" ms, max {max(latencies):.0f} ms",
        )  # fmt: skip

    async def big_tree(self) -> None:
        total, forks = (20_000, 100) if self.quick else (100_000, 500)
        async with SQLiteStore(self.directory / "tree.sqlite3") as store:
            session, word, branch = await build_tree(store, total, forks)
            async with _ide(store, session.id, _writer) as (app, clock):
                tree = app.query_one(BranchTree)
                runs = tree.last_line + 1
                down = await _tree_keys(app, clock, tree)
                jumps = [await _jump(app, clock, word) for _ in range(self.repeats)]
                landed = app.controller is not None and app.controller.branch == branch
        self.row(
            f"{total:,} nodes, {forks} branch points: open", clock.open_seconds, "s",
            note=f"app start to the transcript and the tree ({runs:,} runs) shown; in-process",
        )  # fmt: skip
        p95 = _p95(down)
        self.row(
            "tree pane: Down key to screen, p95", p95, "ms", "<= 50 ms", met=p95 <= 50,
            note=f"{len(down)} Down presses at 20/s in the focused tree; to the first frame "
            "after the cursor moved",
        )  # fmt: skip
        shown = statistics.median(took for took, _ in jumps)
        self.row(
            "jump to a deep search hit", shown, "ms", "<= 200 ms", met=landed and shown <= 200,
            note=f"the tip of side branch {forks * 4 // 5} of {forks}, ~{total * 4 // 5:,} "
            "messages deep; Enter on it in the search results to the frame showing it "
            f"selected in the transcript, median of {len(jumps)} "
            f"({', '.join(f'{took:.0f}' for took, _ in jumps)} ms); the tree pane follows at "
            f"{statistics.median(tree for _, tree in jumps):.0f} ms",
        )  # fmt: skip

    async def export(self) -> None:
        total = 2_000 if self.quick else 10_000
        async with SQLiteStore(self.directory / "export.sqlite3") as store:
            session, _, _ = await build_tree(store, total, total // 100)
            times = []
            for _ in range(3):
                started = time.perf_counter()
                text = await session.export_markdown(scope="tree")
                times.append(time.perf_counter() - started)
        took = statistics.median(times)
        self.row(
            f"export a {total:,}-node tree to markdown", took, "s", "<= 1 s", met=took <= 1,
            note=f"`await session.export_markdown(scope='tree')`, median of 3; {total // 100} "
            f"branches; {len(text) / 1e6:.1f} MB of markdown",
        )  # fmt: skip


async def _scroll_through(
    app: RamifyApp, clock: FrameClock, expected: list[tuple[Node, Message]]
) -> tuple[bool, float, float, int]:
    """Home, 3 pages down, End: (windows matched the store, Home ms, End ms, most widgets)."""
    transcript = app.transcript
    widgets = [len(app.query("*"))]
    ok = _window_matches(app, expected)
    transcript.focus()
    await asyncio.sleep(0.05)
    first, last = expected[0][0].hash_key, expected[-1][0].hash_key
    home_ms = await clock.when(lambda: _shown(app, first), press(app, "home"))
    ok = ok and transcript.window[0] == 0 and _window_matches(app, expected)
    widgets.append(len(app.query("*")))
    seen = [view.node_hash for view in transcript.views]
    for _ in range(3):
        transcript.scroll_end(animate=False, immediate=True)
        await _settle(app)
        window = [view.node_hash for view in transcript.views]
        seen += window[window.index(seen[-1]) + 1 :]
        widgets.append(len(app.query("*")))
    ok = ok and seen == [node.hash_key for node, _ in expected[: len(seen)]]
    end_ms = await clock.when(lambda: _shown(app, last), press(app, "end"))
    ok = ok and _window_matches(app, expected)
    widgets.append(len(app.query("*")))
    return ok, home_ms, end_ms, max(widgets)


async def _stream_reply(app: RamifyApp, clock: FrameClock) -> tuple[float, float]:
    """Send once to the writer: ms from Enter, and from its first token, to the reply settled."""
    controller = app.controller
    assert controller is not None
    composer = app.query_one(Composer)
    composer.area.focus()
    composer.text = "write"
    await asyncio.sleep(0.05)
    wanted = len(controller.path) + 2

    def settled() -> bool:
        views = app.transcript.views
        if len(controller.path) != wanted or app.inquiries or not views:
            return False
        return views[-1].node_hash == controller.path[-1] and views[-1].text == REPLY_2KB

    pressed = press(app, "enter")
    total = await clock.when(settled, pressed)
    await _settle(app)
    return total, total - (_WRITER_STARTS[-1] - pressed) * 1000


async def _huge_round(
    app: RamifyApp, clock: FrameClock, text: str
) -> tuple[float, float, float, bool]:
    """Send once to a huge-reply agent: ms from Enter to the reply settled, the process's CPU
    seconds meanwhile, peak RSS above the baseline (MB), and whether all of it stayed
    reachable."""
    controller = app.controller
    assert controller is not None
    composer = app.query_one(Composer)
    composer.area.focus()
    composer.text = "write a lot"
    await asyncio.sleep(0.05)
    gc.collect()
    baseline = peak = _rss_mb()

    def sample(now: float) -> None:
        nonlocal peak
        peak = max(peak, _rss_mb())

    def settled() -> bool:
        views = app.transcript.views
        return bool(views) and not app.inquiries and views[-1].text == text

    clock.listeners.append(sample)
    cpu = time.process_time()
    took = await clock.when(settled, press(app, "enter"))
    cpu = time.process_time() - cpu
    clock.listeners.remove(sample)
    await _settle(app)
    peak = max(peak, _rss_mb())
    widget = app.transcript.query_children(MessageWidget).last()
    stored = await controller.text_of(controller.path[-1])
    await _in_app(app, app.action_message_full)
    await _until(lambda: bool(app.screen.query(FullText)) and app.screen.query_one(FullText).rows)
    full = app.screen.query_one(FullText)
    ok = (
        stored == text
        and widget.cut
        and len(widget.lines(SIZE[0])) < 2_000
        and full.row_text(full.rows - 1).endswith("END")
    )
    app.pop_screen()
    return took, cpu, peak - baseline, ok


async def _parallel_round(
    app: RamifyApp, clock: FrameClock, number: int, agents: int, tokens: int
) -> tuple[float, bool, list[float]]:
    """Send once to the team, typing meanwhile: (seconds, replies right, key latencies)."""
    controller = app.controller
    assert controller is not None
    composer = app.query_one(Composer)
    panes = app.query_one(AgentPanes)
    composer.area.focus()
    composer.text = f"go {number}"
    await asyncio.sleep(0.05)
    before = len(controller.path)
    pressed = press(app, "enter")
    await _until(lambda: not composer.text)

    def finished() -> bool:
        grown = len(controller.path) >= before + 1 + agents
        return grown and not app.inquiries and not panes.keys and not app.transcript.paging

    with Typist(app, clock, "x", lambda: len(composer.text)) as typist:
        await _until(finished, 600)
        took = time.perf_counter() - pressed
    latencies = await typist.latencies()
    await _settle(app)
    composer.text = ""
    recorded = await controller.session.path_messages(controller.branch)
    replies = {node.sender: message.text for node, message in recorded[before + 1 :]}
    wanted = {f"AGENT-{index}": expected_reply(index, tokens) for index in range(agents)}
    return took, len(recorded) == before + 1 + agents and replies == wanted, latencies


async def _tree_keys(app: RamifyApp, clock: FrameClock, tree: BranchTree) -> list[float]:
    tree.focus()
    tree.move_cursor(tree.root.children[0])
    await asyncio.sleep(0.1)
    with Typist(app, clock, "down", lambda: tree.cursor_line) as typist:
        await asyncio.sleep(2)
    return await typist.latencies()


async def _jump(app: RamifyApp, clock: FrameClock, word: str) -> tuple[float, float]:
    """Pick the hit for `word` in the search results: (ms until the transcript shows it
    selected, ms until the tree pane's cursor is on its run)."""
    controller = app.controller
    assert controller is not None
    await _in_app(app, app.switch_branch, "main")
    await _settle(app)
    await _in_app(app, app.search, word)
    await _until(lambda: isinstance(app.screen, PickScreen) and bool(app.screen.query(OptionList)))
    app.screen.query_one(OptionList).highlighted = 0
    await asyncio.sleep(0.05)
    target = (await controller.search(word))[0].node_hash
    tree = app.query_one(BranchTree)

    def tree_follows() -> bool:
        run = tree.cursor_node.data if tree.cursor_node is not None else None
        return run is not None and run.last == target

    pressed = press(app, "enter")
    tree_ms = asyncio.ensure_future(clock.when(tree_follows, pressed))
    shown = await clock.when(lambda: controller.selected_hash == target and _shown(app, target),
                             pressed)  # fmt: skip
    await _settle(app)
    return shown, await tree_ms


async def _with_store(path: Path, work: Callable[[Store], Awaitable[Any]]) -> None:
    async with SQLiteStore(path) as store:
        await work(store)


# --- pseudo-terminal -----------------------------------------------------------------------------


def _spawn_until(
    argv: list[str], home: Path, marker: bytes, extra: dict[str, str] | None = None
) -> float | None:
    """Milliseconds from spawning `argv` in a pseudo-terminal until it wrote `marker` (None if
    it never did within 30 s); then it is quit with Ctrl+Q, or killed if it does not leave."""
    drop = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")
    environment = {key: value for key, value in os.environ.items() if key not in drop}
    environment.update(
        RAMIFY_HOME=str(home), RAMIFY_CONFIG=str(home / "config.toml"), TERM="xterm-256color"
    )
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, cwd=home,
        env={**environment, **(extra or {})}, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    try:
        seen = b""
        for chunk in _reads(master, started + 30):
            seen = seen[-len(marker) :] + chunk
            if marker in seen:
                return (time.perf_counter() - started) * 1000
        return None
    finally:
        _quit(process, master)


def _reads(master: int, deadline: float) -> Iterator[bytes]:
    """What the program writes, until it closes the terminal or `deadline` passes."""
    while time.perf_counter() < deadline:
        if not select.select([master], [], [], 0.01)[0]:
            continue
        try:
            chunk = os.read(master, 65_536)
        except OSError:  # the program exited and the terminal closed
            return
        if not chunk:
            return
        yield chunk


def _quit(process: subprocess.Popen[bytes], master: int) -> None:
    with suppress(OSError):
        os.write(master, b"\x11")  # Ctrl+Q
    for _ in _reads(master, time.perf_counter() + 5):
        if process.poll() is not None:
            break
    if process.poll() is None:
        process.kill()
    process.wait()
    os.close(master)


def _pty_median(repeats: int, home: Path, marker: bytes) -> float | None:
    command, _ = ramify_command()
    times = [_spawn_until([*command, "--demo"], home, marker) for _ in range(repeats + 1)]
    measured = [took for took in times[1:] if took is not None]
    return statistics.median(measured) if len(measured) == repeats else None


_SDK_PROBE = """
import os, sys
from ramify.tui.app import RamifyApp

def first_frame(app):
    if not getattr(app, "probed", False):
        app.probed = True
        with open(os.environ["RAMIFY_PROBE_OUT"], "w") as out:
            out.write(",".join(n for n in ("openai", "anthropic", "httpx2") if n in sys.modules))
        app.exit(0)

RamifyApp.post_display_hook = first_frame
from ramify.tui.cli import main
sys.exit(main(["--demo"]))
"""


def _sdks_at_first_frame(home: Path) -> list[str]:
    """Provider SDK modules imported when `ramify --demo` put its first frame out ("?" if the
    probe never got there)."""
    out = home / "probe.txt"
    probe = [sys.executable, "-c", _SDK_PROBE]
    _spawn_until(probe, home, b"\x00", extra={"RAMIFY_PROBE_OUT": str(out)})
    return [name for name in (out.read_text() if out.exists() else "?").split(",") if name]


# --- entry point ---------------------------------------------------------------------------------


def run(quick: bool = False) -> list[Row]:
    """Every TUI figure (`quick`: smaller sessions, fewer repeats, no verdicts)."""
    with tempfile.TemporaryDirectory(prefix="ramify-tui-bench-") as directory:
        bench = Bench(Path(directory), quick)
        bench.first_frames()
        asyncio.run(bench.long_branch(bench.branch_database()))
        asyncio.run(bench.history())
        asyncio.run(bench.many_agents())
        asyncio.run(bench.huge_replies())
        asyncio.run(bench.big_tree())
        asyncio.run(bench.export())
        return bench.rows


def run_huge(quick: bool = False) -> list[Row]:
    """Only the huge-reply figures (`Bench.huge_replies`), which `run` includes too."""
    with tempfile.TemporaryDirectory(prefix="ramify-tui-bench-") as directory:
        bench = Bench(Path(directory), quick)
        asyncio.run(bench.huge_replies())
        return bench.rows


if __name__ == "__main__":
    from .table import render_table

    print(render_table(run(quick="--quick" in sys.argv)))
