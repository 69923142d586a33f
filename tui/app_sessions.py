"""The IDE's session actions: new, open, rename, delete and save sessions; rename and delete
branches; and noticing another window writing to the same store.

`SessionActions` is a mixin of `RamifyApp`: its `action_*` methods implement the registry's
`session.*` and `branch.rename` / `branch.delete` ids. Like the rest of the app it talks to the
`SessionController`, never to the store.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.timer import Timer

from ramify.tui.controller import SessionController, format_time
from ramify.tui.events import SessionReady, StoreChanged
from ramify.tui.sanitize import one_line, snippet
from ramify.tui.screens import ConfirmScreen, PickScreen, PromptScreen, SessionRow, SessionsScreen
from ramify.tui.screens.sessions import DELETE, OPEN, RENAME

if TYPE_CHECKING:
    from ramify.core import Store
    from ramify.core.recording import RecordedReplies

    _AppBase = App[int]
else:
    _AppBase = object

WATCH_INTERVAL = 0.5
"""Seconds between two looks at the store's change counter (one tiny query each)."""


class SessionActions(_AppBase):
    """Session and branch management for `RamifyApp` (see the module docstring)."""

    store: Store
    controller: SessionController | None
    inquiries: dict[str, RecordedReplies]
    export_directory: Path
    session_file: Path | None
    autosave: bool
    _store_watch: Timer | None = None
    _store_seen: int | None = None

    if TYPE_CHECKING:  # provided by RamifyApp

        def _need(self) -> SessionController | None: ...
        async def _cancel_all(self) -> None: ...
        async def _show_path(self, *, reset: bool = False) -> None: ...
        async def _rebuild_tree(self) -> None: ...
        def _update_path_bar(self) -> None: ...

    # --- opening and leaving -----------------------------------------------------------------

    async def action_session_new(self) -> None:
        if self._need() is None:
            return
        await self._switch_session(None, create=True)

    async def action_session_open(self) -> None:
        controller = self._need()
        if controller is None:
            return
        rows = [
            SessionRow(
                id=summary.record.id,
                title=summary.record.title,
                updated=format_time(summary.record.updated_at) or "",
                messages=summary.message_count,
                first_line=summary.first_text,
                current=summary.record.id == controller.session.id,
            )
            for summary in await controller.sessions(controller.store)
        ]
        self.push_screen(
            SessionsScreen(rows, highlighted=controller.session.id), self._session_chosen
        )

    async def _session_chosen(self, choice: tuple[str, str] | None) -> None:
        controller = self.controller
        if choice is None or controller is None:
            return
        verb, session_id = choice
        if verb == OPEN:
            if session_id != controller.session.id:
                await self._switch_session(session_id)
        elif verb == RENAME:
            self._ask_session_title(session_id)
        elif verb == DELETE:
            await self._ask_delete_session(session_id)

    async def _switch_session(self, session_id: str | None, *, create: bool = False) -> None:
        controller = self.controller
        assert controller is not None
        await self._cancel_all()
        target, agents = controller.target, controller.agents
        new = await SessionController.open(self.store, session_id, target, agents, create=create)
        self.post_message(SessionReady(new))

    # --- renaming and deleting sessions --------------------------------------------------------

    async def action_session_rename(self) -> None:
        controller = self._need()
        if controller is not None:
            self._ask_session_title(controller.session.id)

    def _ask_session_title(self, session_id: str) -> None:
        controller = self.controller
        if controller is None:
            return
        current = controller.session.title if session_id == controller.session.id else ""

        async def answered(title: str | None) -> None:
            if not title:
                return
            try:
                await controller.rename_session(session_id, title)
            except Exception as error:
                self.notify(one_line(error), severity="error")
                return
            self.notify(f"Session renamed to {snippet(title, 60)}.", markup=False)
            self._update_path_bar()

        self.push_screen(PromptScreen("New title for the session", default=current), answered)

    async def action_session_delete(self) -> None:
        controller = self._need()
        if controller is not None:
            await self._ask_delete_session(controller.session.id)

    async def _ask_delete_session(self, session_id: str) -> None:
        controller = self.controller
        if controller is None:
            return
        titles = {s.record.id: s.record.title for s in await controller.sessions(controller.store)}
        if session_id == controller.session.id and not controller.session.stored:
            self.notify("This session is empty: it is not kept once you leave it.")
            return
        title = snippet(titles.get(session_id) or "(untitled)", 60)
        question = (
            f"Delete the session {title}? Its branches and runs go; messages that other "
            "sessions share stay with them."
        )

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            if session_id == controller.session.id:
                await self._cancel_all()  # a reply recorded afterwards would bring it back
            try:
                await controller.delete_session(session_id)
            except Exception as error:
                self.notify(one_line(error), severity="error")
                return
            self.notify(f"Deleted the session {title}.", markup=False)
            if session_id == controller.session.id:
                await self._switch_session(None)

        self.push_screen(ConfirmScreen(question), answered)

    # --- renaming and deleting branches --------------------------------------------------------

    def _pick_branch(self, title: str, then: Callable[[str | None], None]) -> None:
        controller = self._need()
        if controller is None:
            return
        if not controller.heads:
            self.notify("There is no branch yet: send a message first.")
            return
        heads = sorted(controller.heads.items())
        items = [(name, f"{name}  ·  {head[:8]}") for name, head in heads]
        self.push_screen(PickScreen(title, items, highlighted=controller.branch), then)

    async def action_branch_rename(self) -> None:
        def picked(name: str | None) -> None:
            if not name:
                return

            async def answered(new_name: str | None) -> None:
                await self._rename_branch(name, new_name)

            prompt = PromptScreen(f"New name for the branch {snippet(name, 40)}", default=name)
            self.push_screen(prompt, answered)

        self._pick_branch("Rename which branch?", picked)

    async def _rename_branch(self, name: str, new_name: str | None) -> None:
        controller = self.controller
        if controller is None or not new_name or new_name == name:
            return
        try:
            await controller.rename_branch(name, new_name)
        except Exception as error:
            self.notify(one_line(error), severity="error")
            return
        self.notify(f"Branch {snippet(name, 40)} is now {snippet(new_name, 40)}.", markup=False)
        self._update_path_bar()
        await self._rebuild_tree()
        self._autosave_soon()

    async def action_branch_delete(self) -> None:
        def picked(name: str | None) -> None:
            if not name:
                return
            question = (
                f"Delete the branch {snippet(name, 40)}? Messages other branches reach stay; "
                "its last message stays findable in the reflog."
            )

            async def answered(yes: bool | None) -> None:
                if yes:
                    await self._delete_branch(name)

            self.push_screen(ConfirmScreen(question), answered)

        self._pick_branch("Delete which branch?", picked)

    async def _delete_branch(self, name: str) -> None:
        controller = self.controller
        if controller is None:
            return
        try:
            await controller.delete_branch(name)
        except Exception as error:
            self.notify(one_line(error), severity="error")
            return
        self.notify(f"Deleted the branch {snippet(name, 40)}.", markup=False)
        await self._show_path(reset=True)
        await self._rebuild_tree()
        self._autosave_soon()

    # --- another window on the same store ------------------------------------------------------

    def _watch_store(self, controller: SessionController) -> None:
        """Look for other writers to the session's store every `WATCH_INTERVAL` seconds."""
        if self._store_watch is not None:
            self._store_watch.stop()
        self._store_seen = None
        self._look_at_store(controller)
        self._store_watch = self.set_interval(
            WATCH_INTERVAL, lambda: self._look_at_store(controller)
        )

    @work(group="watch", exclusive=True, exit_on_error=False)
    async def _look_at_store(self, controller: SessionController) -> None:
        # One short worker per look, not a loop: the query stays off the handlers, and waiting
        # for the app's workers to finish (as tests do) still ends.
        version = await controller.outside_version()
        if version is None:  # nobody else can write to this store
            if self._store_watch is not None:
                self._store_watch.stop()
            return
        if self._store_seen is not None and version != self._store_seen:
            self.post_message(StoreChanged())
        self._store_seen = version

    async def on_store_changed(self, _event: StoreChanged) -> None:
        controller = self.controller
        if controller is None or not self.is_running:
            return
        try:
            moved = await controller.refresh_outside()
        except Exception as error:
            self.notify(f"Could not catch up with another window: {one_line(error)}")
            return
        await self._show_path()
        await self._rebuild_tree()
        if controller.branch in moved:
            running = any(r.branch == controller.branch for r in self.inquiries.values())
            note = " while a reply runs here" if running else ""
            self.notify(
                f"Another window is writing to branch {snippet(controller.branch, 40)}{note}.",
                severity="warning",
                markup=False,
            )

    # --- saving as markdown ----------------------------------------------------------------------

    async def action_session_save(self) -> None:
        controller = self._need()
        if controller is None:
            return
        if self.is_web:
            await self._download_session(controller)
            return
        default = self.export_directory / f"{_file_stem(controller.title)}.md"
        self.push_screen(
            PromptScreen("Save the whole session as markdown to", default=str(default)),
            self.save_to,
        )

    async def save_to(self, answer: str | None) -> None:
        """Save the whole session as markdown to path `answer` (None: do nothing)."""
        controller = self.controller
        if not answer or controller is None:
            return
        try:
            written = await save_session_markdown(controller, _user_path(answer))
        except Exception as error:
            self.notify(f"Not saved: {one_line(error)}", severity="error", timeout=8)
            return
        self.session_file = written
        self.notify(
            f"Saved to {written}." + (" Changes are saved there too." if self.autosave else "")
        )

    async def _download_session(self, controller: SessionController) -> None:
        """In a browser tab (`ramify serve`) the server's disk is not the user's: the markdown
        goes to the browser as a download instead."""
        name = f"{_file_stem(controller.title)}.md"
        try:
            text = await controller.session.export_markdown(scope="tree")
        except Exception as error:
            self.notify(f"Not saved: {one_line(error)}", severity="error", timeout=8)
            return
        self.deliver_text(
            io.StringIO(text), save_filename=name, mime_type="text/markdown", encoding="utf-8"
        )
        self.notify(f"Downloading {name}.")

    def _autosave_soon(self) -> None:
        if self.autosave and self.session_file is not None and self.controller is not None:
            self._autosave(self.controller, self.session_file)

    @work(group="autosave", exclusive=True, exit_on_error=False)
    async def _autosave(self, controller: SessionController, path: Path) -> None:
        # Exclusive: a newer change cancels an older write in progress; the temp-file-and-rename
        # write means a cancelled one leaves the previous file whole.
        try:
            await save_session_markdown(controller, path)
        except Exception as error:
            self.notify(f"Autosave to {path} failed: {one_line(error)}", severity="warning")


async def save_session_markdown(controller: SessionController, path: Path) -> Path:
    """Export the whole tree to `path` atomically."""
    from ramify.core.sessionfile import write_atomic

    text = await controller.session.export_markdown(scope="tree")
    await write_atomic(path, text)
    return path


def _user_path(text: str) -> Path:
    # `~` expansion reads the environment only; no disk access happens here.
    return Path(os.path.expanduser(text))


def _file_stem(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", title).strip("-.") or "session"
