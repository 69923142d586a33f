"""The Ramify IDE: tree pane, transcript, live agent panes, composer and inspector.

Harlequin's structure: every key, palette entry and help line comes from the action registry
(`ramify.tui.actions`); workers talk to the session controller and post `ramify.tui.events`
messages; handlers on the app are the only code that changes widgets. The app never touches the
store: it asks the `SessionController`.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import Footer, Static

from ramify.core import USER, Agent, Store
from ramify.core.llm.pricing import configured_prices
from ramify.core.recording import RecordedReplies
from ramify.core.runs import RunStatus
from ramify.themes.ramify import DEFAULT_THEME, register_themes
from ramify.tui import timer_fix
from ramify.tui.actions import APP, bindings
from ramify.tui.app_interrupts import InterruptActions
from ramify.tui.app_layout import LayoutActions
from ramify.tui.app_navigation import NavigationActions
from ramify.tui.app_sessions import SessionActions
from ramify.tui.app_tools import ToolActions
from ramify.tui.app_workflow_runs import WorkflowRunActions
from ramify.tui.app_workflows import WorkflowActions
from ramify.tui.controller import DETACHED, SessionController, code_blocks
from ramify.tui.events import (
    BackgroundChanged,
    InquiryDone,
    ReplayReveal,
    SessionReady,
    StreamClosed,
    StreamOpened,
)
from ramify.tui.palette import ActionCommands, AgentCommands
from ramify.tui.sanitize import one_line, sanitize, snippet
from ramify.tui.screens import (
    FullTextScreen,
    HelpScreen,
    PickScreen,
    PromptScreen,
)
from ramify.tui.stream_feed import StreamFeed
from ramify.tui.tool_calls import live_tool_call, recorded_tool_call
from ramify.tui.view_models import MessageStatus
from ramify.tui.widgets import (
    AgentPanes,
    BranchTree,
    Composer,
    Inspector,
    MessageWidget,
    StreamPane,
    Transcript,
    WorkflowView,
)

SETTLE_DELAY = 0.03
"""Seconds a finished reply waits to settle into the transcript, gathering the others that
finish with it."""

RERUN_QUESTION = "Rerun: name of the new branch (made only if the reply differs)"

AgentFactory = Callable[[str], Agent]
"""Turns a model or agent name into an agent (config lookups live outside the app)."""

SessionOpener = Callable[[Store], Awaitable[SessionController]]
# A job the IDE runs in the background once it is up (following a remote run still going on a
# worker): it calls its argument whenever it wrote to the session and returns a closing line.
BackgroundJob = Callable[[Callable[[], None]], Awaitable[str | None]]


class RamifyApp(
    # First: its cancel and quit hooks wrap the navigation ones.
    WorkflowActions,
    NavigationActions,
    SessionActions,
    LayoutActions,
    ToolActions,
    WorkflowRunActions,
    InterruptActions,
    App[int],
):
    """The IDE.

    Args:
        store: an open store; the app never closes it (its opener does).
        open_session: builds the controller once the first frame is up (off the start-up path).
        agent_names: names offered by "switch agent" and "rerun with…" besides known agents.
        make_agent: resolves one of `agent_names` to an agent.
        keymap: user remappings, action id -> keys.
        theme: the theme to start with (Ramify's dark theme by default).
        save_theme: called with the new theme name when the user picks one (persists it).
        export_directory: where "save session" proposes to write.
        replay_pace: play the opened session back at this speed factor instead of editing it.
        session_file: the markdown file the session came from (autosave writes back to it).
        autosave: write the session back to `session_file` after every change.
        startup_notices: lines to show as warnings once the screen is up (config problems).
        background: jobs to run once the screen is up (see `BackgroundJob`).
        auto_resume: continue a session's interrupted workflow run when it opens.
    """

    CSS_PATH = Path(__file__).parent / "ramify.tcss"
    TITLE = "Ramify"
    BINDINGS: ClassVar[list[BindingType]] = bindings(APP)  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {ActionCommands, AgentCommands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        store: Store,
        open_session: SessionOpener,
        *,
        agent_names: tuple[str, ...] = (),
        make_agent: AgentFactory | None = None,
        keymap: Mapping[str, str] | None = None,
        theme: str | None = None,
        save_theme: Callable[[str], None] | None = None,
        export_directory: Path | None = None,
        replay_pace: float | None = None,
        session_file: Path | None = None,
        autosave: bool = True,
        startup_notices: Sequence[str] = (),
        background: Sequence[BackgroundJob] = (),
        auto_resume: bool = True,
    ) -> None:
        timer_fix.apply()  # before any timer starts: frames come on time after a pause
        super().__init__()
        self.store = store
        self._open_session = open_session
        self.agent_names = agent_names
        self._make_agent = make_agent
        self.user_keymap = dict(keymap or {})
        self._start_theme = theme
        self._save_theme = save_theme
        self._startup_notices = tuple(startup_notices)
        self._background = tuple(background)
        self.auto_resume = auto_resume
        # The theme applied at start: its change signal is not the user picking a theme.
        self._theme_at_start: str | None = None
        self.export_directory = export_directory or Path.cwd()
        self.replay_pace = replay_pace
        # The markdown file this session was opened from or saved to; with `autosave`, every
        # change is written back to it (atomically).
        self.session_file = session_file if replay_pace is None else None
        self.autosave = autosave
        self.controller: SessionController | None = None
        # Replies still streaming, by run key; the worker adds and removes them.
        self.inquiries: dict[str, RecordedReplies] = {}
        self._pane_runs: dict[str, str] = {}
        self._settle_timer: Timer | None = None
        self._cancel_requested: set[str] = set()
        self._replay_path: list[str] | None = None
        self._replayed = False
        # Set once quitting starts: late stream events must not touch widgets being removed.
        self._quitting = False
        self._shown: list[str] = []
        self._tree_dirty = False
        self._gc_before: tuple[tuple[int, int, int], bool] | None = None
        self.status_message = ""
        self._aliases: dict[str, str] = {}  # model name -> agent alias, for the agent pickers

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="tree-pane"):
                yield Static(Text("Branches", style="bold"), id="tree-title")
                yield BranchTree(id="tree")
            with Vertical(id="centre"):
                yield Static(Text("opening…", style="dim"), id="path-bar")
                yield Transcript(id="transcript")
                yield WorkflowView(id="workflow", classes="-hidden")
                yield AgentPanes(id="panes")
                yield Composer(id="composer")
            yield Inspector(id="inspector", classes="-hidden")
        yield Footer()

    def on_mount(self) -> None:
        self._gc_before = _fewer_full_collections()
        register_themes(self)
        self.theme = self._theme_at_start = (
            self._start_theme if self._start_theme in self.available_themes else DEFAULT_THEME
        )
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for notice in self._startup_notices:  # from config files: shown literally
            self.notify(notice, severity="warning", timeout=10, markup=False)
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        self.query_one(Composer).area.focus()
        self._load_session(self._open_session)
        for job in self._background:
            self._run_background(job)

    @work(group="background", exit_on_error=False)
    async def _run_background(self, job: BackgroundJob) -> None:
        """Run `job`; post when it wrote and when it ended (never touches a widget)."""

        def changed() -> None:
            self.post_message(BackgroundChanged())

        try:
            notice = await job(changed)
        except Exception as error:  # one line for the user, never a traceback
            notice = f"{type(error).__name__}: {error}"
        self.post_message(BackgroundChanged(notice, ended=True))

    async def on_background_changed(self, event: BackgroundChanged) -> None:
        if self.controller is not None:
            await self._catch_up(tree=True)
        if event.notice:
            self.notify(event.notice, timeout=8, markup=False)

    @work(group="session", exclusive=True, exit_on_error=False)
    async def _load_session(self, opener: SessionOpener) -> None:
        try:
            controller = await opener(self.store)
        except Exception as error:  # the one-line message is the whole report the user needs
            self.post_message(SessionReady(None, f"{type(error).__name__}: {error}"))
            return
        self.post_message(SessionReady(controller))

    async def on_session_ready(self, event: SessionReady) -> None:
        if event.controller is None:
            self.notify(f"Could not open the session: {event.error}", severity="error")
            return
        self.controller = event.controller
        self.query_one(Composer).target = event.controller.target.alias
        self._shown = []
        if self.replay_pace is not None and not self._replayed:
            self._replayed = True
            await self._start_replay(event.controller)
            return
        await self._show_path(reset=True)
        await self._rebuild_tree()
        self._watch_store(event.controller)
        self.offer_interrupt()  # a run left waiting (before a restart, too) asks again
        self.start_queued_workflow()
        self.resume_interrupted_workflow()  # a workflow run a dead process left goes on
        gc.freeze()  # the session's shape lives as long as it is open (`_fewer_full_collections`)

    def on_unmount(self) -> None:
        if self._gc_before is not None:
            _usual_collections(self._gc_before)
            self._gc_before = None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Show a toast whose text is shown literally, whatever `markup` says.

        Toasts carry errors, names and paths from outside; with markup, an error holding `[/]`
        crashed the app and `[@click=...]` became an action. Overridden here, so no caller (nor
        a widget's `notify`, which calls this) can forget.
        """
        super().notify(
            sanitize(message),
            title=sanitize(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _theme_changed(self, theme: Any) -> None:
        at_start, self._theme_at_start = self._theme_at_start, None
        if theme.name == at_start:
            return  # the start theme arriving, or the fallback for an unknown one: not saved
        if self._save_theme is not None:
            try:
                self._save_theme(theme.name)
            except Exception as error:
                self.notify(f"Theme not saved: {error}", severity="warning")

    # --- showing the controller's state ----------------------------------------------------

    @property
    def transcript(self) -> Transcript:
        return self.query_one(Transcript)

    def _need(self) -> SessionController | None:
        if self.controller is None:
            self.notify("The session is still opening.", severity="warning")
        return self.controller

    async def _show_path(self, *, reset: bool = False) -> None:
        """Bring the transcript in line with the controller's path and selection."""
        controller = self.controller
        if controller is None:
            return
        path = controller.path
        transcript = self.transcript
        grew = (
            not reset and len(path) >= len(self._shown) and path[: len(self._shown)] == self._shown
        )
        if grew and len(path) - len(self._shown) <= 8:
            start = len(self._shown)
            if len(path) > start:
                # The last two messages shown come again: what follows can change how they
                # read (an approval after a model's calls marks them waiting, its answer
                # clears that).
                before = max(start - 2, 0)
                views = await controller.views(before, len(path))
                for view in views[: start - before]:
                    transcript.update_view(view)
                await transcript.extend(views[start - before :])
        else:
            at_end = controller.selected >= len(path) - 1
            at = None if at_end else controller.selected
            transcript.set_source(len(path), controller.views, at=at)
        self._shown = list(path)
        transcript.select(controller.selected_hash)
        await self.show_welcome(not path and self._replay_path is None)
        self._update_path_bar()
        await self._update_inspector()

    async def _show_selection(self) -> None:
        """The selection moved (and maybe the path): highlight it and bring it into view."""
        controller = self.controller
        if controller is None:
            return
        if controller.path != self._shown:
            self._shown = list(controller.path)
            self.transcript.set_source(
                len(controller.path), controller.views, at=controller.selected
            )
            self._tree_dirty = True
        else:
            start, stop = self.transcript.window
            if not start <= controller.selected < stop:
                self.transcript.jump_to_index(controller.selected)
        self.transcript.select(controller.selected_hash)
        self.transcript.reveal(controller.selected_hash)
        self.query_one(BranchTree).mark_selected(controller.selected)
        self._update_path_bar()
        await self._update_inspector()
        if self._tree_dirty and not self.transcript.paging:
            await self._rebuild_tree()

    def on_transcript_window_changed(self) -> None:
        # After a jump the new page is drawn first: rebuilding the tree pane and laying it out
        # again take ~100 ms at 100,000 nodes, so it waits for the page's frame.
        if self._tree_dirty:
            self.call_after_refresh(self._rebuild_dirty_tree)

    async def _rebuild_dirty_tree(self) -> None:
        if self._tree_dirty:  # several pages may have asked; the first rebuild serves them all
            await self._rebuild_tree()

    def _update_path_bar(self) -> None:
        controller = self.controller
        if controller is None:
            return
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(snippet(controller.title, 40), style="bold")
        bar.append("  ⑂ ", style="dim")
        if controller.branch == DETACHED:
            bar.append("detached", style="bold yellow")
        else:
            bar.append(snippet(controller.branch, 32), style="bold green")
        total = len(controller.path)
        position = controller.selected + 1 if total else 0
        bar.append(f"  {position}/{total}", style="dim")
        branches = len(controller.heads)
        bar.append(f"  · {branches} branch" + ("es" if branches != 1 else ""), style="dim")
        if self.inquiries:
            bar.append(f"  · {len(self.inquiries)} running", style="bold cyan")
        self.query_one("#path-bar", Static).update(bar)

    async def _update_inspector(self) -> None:
        inspector = self.query_one(Inspector)
        controller = self.controller
        if inspector.has_class("-hidden") or controller is None:
            return
        node = controller.selected_hash
        inspector.show(await controller.inspect(node) if node else None)

    async def _rebuild_tree(self) -> None:
        controller = self.controller
        if controller is None:
            return
        self._tree_dirty = False
        runs = await controller.tree_runs()
        ends = {name: controller.head_label(name) for name in controller.heads}
        self.query_one(BranchTree).show_runs(runs, ends, controller.branch, controller.selected)

    # --- streaming ---------------------------------------------------------------------------

    @work(group="inquiries", exit_on_error=False)
    async def _drive(self, start: Callable[[], Awaitable[RecordedReplies]]) -> None:
        """Start a run and pump every reply message of it to the app as events."""
        try:
            replies = await start()
        except Exception as not_started:
            self.post_message(InquiryDone("", "", one_line(not_started)))
            return
        run_key = replies.run.id
        self.inquiries[run_key] = replies
        self.post_message(InquiryDone(run_key, replies.branch, None, started=True))
        pumps: list[asyncio.Task[Any]] = []
        # A network's actors each keep one pane for the run: alias -> its lasting pane.
        actor_panes: dict[str, _ActorPane] = {}
        error: str | None = None
        earlier: list[Any] = []  # the run's replies so far: a tool result's call is among them
        try:
            count = 0
            async for promise in replies:
                count += 1
                key = f"{run_key}/{count}"
                alias = promise.agent_alias or replies.run.agent
                lasting = actor_panes.get(alias)
                if lasting is not None and promise.placed_in_tree:
                    lasting.last = asyncio.create_task(
                        self._pump_next(lasting, promise, lasting.last)
                    )
                    pumps.append(lasting.last)
                    continue
                model = promise.get("model") or self._model_of(alias)
                feed = StreamFeed()
                _, price = configured_prices(alias, (model,) if model else ())
                # A remote agent's reply names the worker streaming it (`RemoteMessagePromise`).
                worker = getattr(promise, "worker", None)
                label = f"{model or alias} @ {worker}" if worker else model
                call = await live_tool_call(promise, earlier)
                earlier.append(promise)
                self.post_message(
                    StreamOpened(key, run_key, alias, label, feed, price, tool_call=call)
                )
                if promise.placed_in_tree:
                    # A network's message (its actor wrote it to the tree): the actor's pane
                    # lasts the run, its later messages streaming in below this one.
                    lasting = actor_panes[alias] = _ActorPane(key, feed)
                    lasting.last = asyncio.create_task(
                        self._pump_next(lasting, promise, lasting.last)
                    )
                    pumps.append(lasting.last)
                    continue
                pumps.append(asyncio.create_task(self._pump(key, promise, feed)))
        except asyncio.CancelledError:
            pass
        except Exception as failure:
            error = one_line(failure)
        finally:
            if pumps:
                await asyncio.gather(*pumps, return_exceptions=True)
            for lasting in actor_panes.values():
                self.post_message(StreamClosed(lasting.key, lasting.status))
            try:
                run = await asyncio.wait_for(replies.recorded(), timeout=10)
                error = error or run.error
            except TimeoutError:
                error = error or "the run did not finish recording in time"
            self.inquiries.pop(run_key, None)
            self.post_message(InquiryDone(run_key, replies.branch, error, replies=replies))

    async def _pump_next(
        self, pane: _ActorPane, promise: Any, before: asyncio.Task[None] | None
    ) -> None:
        """Stream one more of an actor's messages into its lasting pane, after the one
        `before` it (so two of its messages never interleave), a blank line between them."""
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)
        if pane.messages:
            pane.feed.put("\n\n", 0)
        pane.messages += 1
        status = await self._pump(pane.key, promise, pane.feed, close=False)
        if status is not MessageStatus.DONE and pane.status is MessageStatus.DONE:
            pane.status = status

    async def _pump(
        self, key: str, promise: Any, feed: StreamFeed, *, close: bool = True
    ) -> MessageStatus:
        status = MessageStatus.DONE
        try:
            chunks = promise.chunks()
            async for chunk in chunks:
                if chunk:
                    feed.put(chunk, getattr(chunks, "joined", 1) or 1)
            message = await promise
            if message.role == "error" or getattr(message, "is_error", False):
                status = MessageStatus.ERROR
            elif getattr(message, "cancelled", False):
                status = MessageStatus.CANCELLED
        except asyncio.CancelledError:
            status = MessageStatus.CANCELLED
        except Exception:
            status = MessageStatus.CANCELLED if self._cancelled(key) else MessageStatus.ERROR
        finally:
            # A remote reply says when NATS dropped some of its tokens (a slow consumer).
            if close:
                self.post_message(StreamClosed(key, status, getattr(promise, "notice", None)))
        return status

    def _cancelled(self, key: str) -> bool:
        return key.split("/", 1)[0] in self._cancel_requested

    def _model_of(self, alias: str) -> str | None:
        controller = self.controller
        agent = None
        if controller is not None:
            agent = controller.agents.get(alias) or controller.session.known_agent(alias)
        if agent is None:
            return None
        model = agent.params.get("model")
        return str(model) if model else None

    @property
    def _winding_down(self) -> bool:
        # Quitting, or torn down some other way (a test ending mid-stream): late stream
        # events must not look for widgets that are going away.
        return self._quitting or not self.is_running or not self.screen_stack

    async def on_stream_opened(self, event: StreamOpened) -> None:
        if self._winding_down:
            return
        self._pane_runs[event.key] = event.run_key
        panes = self.query_one(AgentPanes)
        await panes.open_pane(
            event.key,
            event.agent_alias,
            event.model,
            feed=event.feed,
            output_price=event.output_price,
            tool_call=event.tool_call,
        )

    async def on_stream_closed(self, event: StreamClosed) -> None:
        if self._winding_down:
            return
        if event.notice:
            self.notify(event.notice, severity="warning")
        panes = self.query_one(AgentPanes)
        if event.key in panes.keys:
            await panes.finish(event.key, event.status)

    def on_agent_panes_settled(self, event: AgentPanes.Settled) -> None:
        self._pane_runs.pop(event.key, None)
        # Parallel replies end together: one catch-up (store reads, one transcript mount) for
        # the burst, not one each, keeps keys from queueing behind eight in a row.
        if self._settle_timer is None:
            self._settle_timer = self.set_timer(SETTLE_DELAY, self._settle)

    async def _settle(self) -> None:
        self._settle_timer = None
        await self._catch_up()

    async def on_inquiry_done(self, event: InquiryDone) -> None:
        if event.started:
            # The user's message (or the fork) is in the tree before any reply streams.
            await self._catch_up(tree=True)
            return
        if event.error and event.run_key == "":
            self.notify(event.error, severity="error")
            return
        if event.error:
            self.notify(f"{event.branch}: {event.error}", severity="error", timeout=8)
        await self._where_replies_landed(event.replies)
        if event.replies is not None and self.controller is not None:
            await self.controller.absorb_output(event.replies.run.output_nodes)
        await self._catch_up(tree=True)
        if event.replies is not None and event.replies.run.status is RunStatus.WAITING:
            self.offer_interrupt()

    async def _where_replies_landed(self, replies: RecordedReplies | None) -> None:
        controller = self.controller
        if replies is None or controller is None or self._winding_down:
            return
        if replies.same_as_before:
            self.notify("The rerun gave the same reply: no new branch.", timeout=4)
        elif replies.moved_to:
            self.notify(
                f"{snippet(replies.branch, 32)} moved on while the agent ran: its reply is on "
                f"branch {snippet(replies.moved_to, 40)}.",
                severity="warning",
                timeout=8,
                markup=False,
            )
        elif replies.rerun and replies.branch:
            await controller.checkout(replies.branch)

    async def _catch_up(self, *, tree: bool = False) -> None:
        controller = self.controller
        if controller is None or self._winding_down or self._replay_path is not None:
            return
        await controller.refresh()
        await self._show_path()
        if tree:
            await self._rebuild_tree()
            self._autosave_soon()

    # --- replay ---------------------------------------------------------------------------------

    async def _start_replay(self, controller: SessionController) -> None:
        """Show an empty transcript, then play the checked-out path back message by message."""
        self._replay_path = list(controller.path)
        controller.path, controller.selected = [], -1
        composer = self.query_one(Composer)
        composer.disabled = True
        composer.target = "replay (no model is called)"
        await self._show_path(reset=True)
        self._replay(controller, list(self._replay_path), self.replay_pace or 1.0)

    @work(group="replay", exclusive=True, exit_on_error=False)
    async def _replay(self, controller: SessionController, path: list[str], pace: float) -> None:
        """Stream each recorded reply into a pane at its recorded pace; reveal user messages."""
        from ramify.core.sessionfile import replay_chunks

        earlier: list[Any] = []  # the messages before: a tool result's call is among them
        for index, node_hash in enumerate(path):
            node = await controller.session.resolve(node_hash)
            message = await controller.session.message(node)
            earlier.append(message)
            if node.sender != USER:
                timings = None
                if node.run_id:
                    try:
                        run = await controller.session.get_run(node.run_id)
                        timings = run.timings.get(node_hash)
                    except Exception:
                        timings = None  # no recorded pace: the default one will do
                key = f"replay/{index}"
                model = getattr(message, "model", None)
                feed = StreamFeed()
                call = recorded_tool_call(message, earlier)
                self.post_message(
                    StreamOpened(key, "replay", node.sender, model, feed, tool_call=call)
                )
                try:
                    chunks = replay_chunks(message.text, timings, pace=pace, max_delay=2.0)
                except ValueError:
                    chunks = replay_chunks(message.text, None, pace=pace)
                for delay, chunk in chunks:
                    await asyncio.sleep(delay)
                    feed.put(chunk)
                failed = getattr(message, "is_error", False)
                status = MessageStatus.ERROR if failed else controller.status_of(message)
                self.post_message(StreamClosed(key, status))
            self.post_message(ReplayReveal(index + 1))
        self.post_message(ReplayReveal(len(path), finished=True))

    async def on_replay_reveal(self, event: ReplayReveal) -> None:
        controller = self.controller
        if controller is None or self._replay_path is None:
            return
        controller.path = self._replay_path[: event.count]
        controller.selected = len(controller.path) - 1
        await self._show_path()
        if event.finished:
            self._replay_path = None
            composer = self.query_one(Composer)
            composer.disabled = False
            composer.target = controller.target.alias
            self.focus_composer()
            await self._rebuild_tree()
            self.notify("Replay finished. The session lives in memory: Ctrl+S saves it.")

    # --- composer ----------------------------------------------------------------------------

    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        controller = self._need()
        if controller is None:
            # Keep what the user wrote: put it back.
            event.composer.text = event.text
            return
        self.transcript.jump_to_end()  # sent while reading back: follow the new message
        self._drive(lambda: controller.send(event.text))

    # --- actions (ids in ramify.tui.actions) ------------------------------------------------

    def action_send(self) -> None:
        """Send (from the palette; in the composer, Enter is its own priority binding)."""
        self.query_one(Composer).submit()

    def action_composer_newline(self) -> None:
        composer = self.query_one(Composer)
        composer.area.insert("\n")
        composer.area.focus()

    def action_cancel(self) -> None:
        """Esc: cancel the focused pane's run, else the newest run."""
        if self.cancel_workflow_here():
            return
        focused = self.focused
        run_key = None
        while focused is not None:
            if isinstance(focused, StreamPane):
                run_key = self._pane_runs.get(focused.key)
                break
            focused = focused.parent  # type: ignore[assignment]
        if run_key is None and self.inquiries:
            run_key = list(self.inquiries)[-1]
        replies = self.inquiries.get(run_key) if run_key else None
        if run_key is None or replies is None:
            return
        self._cancel_requested.add(run_key)
        replies.cancel()
        self.notify("Cancelled; the partial reply is kept.", timeout=3)

    async def action_rerun(self) -> None:
        controller = self._need()
        if controller is None:
            return
        caller = await controller.rerun_caller()
        if caller is None:
            await self._ask_rerun_branch(controller, None)
            return
        author, team = (snippet(name, 32) for name in caller)
        items = [("own", f"Rerun {author} alone"), ("caller", f"Rerun the whole {team} run")]

        async def picked(choice: str | None) -> None:
            if choice is not None:
                await self._ask_rerun_branch(controller, None, caller=choice == "caller")

        self.push_screen(PickScreen("Rerun which run?", items), picked)

    async def rerun_with(self, name: str | None) -> None:
        """Rerun the selected agent message, with agent `name` (None: the same agent)."""
        controller = self._need()
        if controller is None:
            return
        agent = self._agent(name) if name else None
        if name and agent is None:
            return
        await self._ask_rerun_branch(controller, agent)

    async def _ask_rerun_branch(
        self, controller: SessionController, agent: Agent | None, *, caller: bool = False
    ) -> None:
        """Ask the name of the branch the rerun makes (a proposal the user can change), then
        rerun; a taken name is asked again, keeping what was typed."""
        try:
            proposal = await controller.propose_rerun_name(agent.alias if agent else None)
        except ValueError as error:
            self.notify(one_line(error), severity="warning")
            return

        def named(branch: str | None) -> None:
            if branch is None:
                return
            if branch in controller.heads:
                self.notify(f"There is a branch {branch} already; choose another name.")
                self.push_screen(PromptScreen(RERUN_QUESTION, default=branch), named)
                return
            self._drive(lambda: controller.rerun(agent, caller=caller, name=branch))

        self.push_screen(PromptScreen(RERUN_QUESTION, default=proposal), named)

    async def action_copy_message(self) -> None:
        controller = self._need()
        node = controller.selected_hash if controller else None
        if controller is None or node is None:
            return
        text = await controller.text_of(node)
        self._copy(text, "message")

    async def action_message_full(self) -> None:
        controller = self._need()
        node = controller.selected_hash if controller else None
        if controller is None or node is None:
            return
        sender = (await controller.session.resolve(node)).sender
        self._show_full(sender, await controller.text_of(node))

    def on_message_widget_show_all(self, event: MessageWidget.ShowAll) -> None:
        self._show_full(event.view.sender, event.view.text)

    def _show_full(self, sender: str, text: str) -> None:
        lines = text.count("\n") + 1
        title = f"{sender} · {len(text):,} characters, {lines:,} lines · Esc closes"
        self.push_screen(FullTextScreen(text, title))

    async def action_copy_code(self) -> None:
        controller = self._need()
        node = controller.selected_hash if controller else None
        if controller is None or node is None:
            return
        blocks = code_blocks(await controller.text_of(node))
        if not blocks:
            self.notify("The selected message has no code block.")
            return
        if len(blocks) == 1:
            self._copy(blocks[0], "code block")
            return
        items = [(str(i), snippet(block, 100)) for i, block in enumerate(blocks)]

        def picked(index: str | None) -> None:
            if index is not None:
                self._copy(blocks[int(index)], "code block")

        self.push_screen(PickScreen("Copy which code block?", items), picked)

    async def action_copy_branch(self) -> None:
        controller = self._need()
        if controller is None:
            return
        self._copy(await controller.path_markdown(), "branch as markdown")

    def _copy(self, text: str, what: str) -> None:
        self.copy_to_clipboard(text)
        self.notify(f"Copied {what} ({len(text)} characters).", timeout=3)

    def action_theme(self) -> None:
        self.search_themes()

    async def action_inspector_toggle(self) -> None:
        inspector = self.query_one(Inspector)
        inspector.toggle_class("-hidden")
        await self._update_inspector()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.user_keymap))

    async def action_quit(self) -> None:
        """Ctrl+Q: cancel every stream, wait until what arrived is recorded, then leave."""
        self._quitting = True
        await self._cancel_all()
        self.exit(0)

    async def _cancel_all(self) -> None:
        await self.cancel_workflow_and_wait()
        running = list(self.inquiries.values())
        self._cancel_requested.update(self.inquiries)
        for replies in running:
            replies.cancel()
        if running:
            await asyncio.wait(
                [asyncio.ensure_future(replies.recorded()) for replies in running], timeout=5
            )


class _ActorPane:
    """A network actor's pane for one run: every message it sends streams into it."""

    __slots__ = ("feed", "key", "last", "messages", "status")

    def __init__(self, key: str, feed: StreamFeed) -> None:
        self.key = key
        self.feed = feed
        self.last: asyncio.Task[None] | None = None
        self.messages = 0
        self.status = MessageStatus.DONE


def _fewer_full_collections() -> tuple[tuple[int, int, int], bool]:
    """Keep Python's full collections rare and short while replies stream (Textual#6381).

    Measured with 8 agents streaming: a gen-2 pass over the app's ~230k objects took ~150 ms
    and came every ~0.3 s, freezing keys and frames. Objects alive at start-up live as long as
    the app, so they are frozen out of every pass (and again once the session is open: a
    10,000-message session's shape is as long-lived, and a pass over it froze keys for ~300
    ms), and young collections, whose count triggers the full ones, run every 10,000
    allocations instead of 700. Returns what `_usual_collections` restores.
    """
    before = (gc.get_threshold(), gc.get_freeze_count() == 0)
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    return before


def _usual_collections(before: tuple[tuple[int, int, int], bool]) -> None:
    """Undo `_fewer_full_collections` as the app ends: what it froze can be collected again
    (another app in this process, e.g. in tests, starts from the usual state). Objects someone
    else froze before the app started stay frozen."""
    threshold, nothing_was_frozen = before
    if nothing_was_frozen:
        gc.unfreeze()
    gc.set_threshold(*threshold)
