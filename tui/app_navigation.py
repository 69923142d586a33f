"""How the IDE is driven from the keyboard: the focus model, navigate mode and the tree actions.

The focus model (docs/architecture.md, "Keys and focus"):
- The message box is home. Every dialog, picker and the palette hands focus back to it when it
  closes, and a printable key pressed where text cannot go (the transcript, the tree) is typed
  into it, so prose never runs a command.
- Single-key commands (h j k l [ ] f e b t / ...) work only in navigate mode, entered with
  Ctrl+G and shown in the message box's header and the footer. Esc or Enter, or any printable
  key that is not a command, leaves it and types that key into the message box.
- Esc steps back one level: out of a dialog, out of navigate mode or off a pane to the message
  box, and from the message box it cancels the running reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea

from ramify.tui.actions import ACTIONS, is_navigation_only
from ramify.tui.sanitize import one_line
from ramify.tui.screens import EditScreen, PickScreen, PromptScreen
from ramify.tui.screens.edit import EditResult
from ramify.tui.widgets import BranchTree, Composer, StreamPane, Transcript, WorkflowView
from ramify.tui.widgets.welcome import Welcome

if TYPE_CHECKING:
    from textual.worker import Worker

    from ramify.core import Agent
    from ramify.core.recording import RecordedReplies
    from ramify.tui.controller import SessionController

    _AppBase = App[int]
else:
    _AppBase = object


class MainScreen(Screen[None]):
    """The IDE's default screen: whenever it is uncovered, focus goes back to the message box."""

    def on_screen_resume(self) -> None:
        app = self.app
        if isinstance(app, NavigationActions):
            app.focus_composer()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        app = self.app
        if isinstance(app, NavigationActions) and isinstance(event.widget, TextArea):
            app.set_navigating(False)


def _takes_text(widget: Widget | None) -> bool:
    return isinstance(widget, TextArea | Input) and not widget.disabled


class NavigationActions(_AppBase):
    """The focus model and the actions that move around and branch, mixed into `RamifyApp`."""

    navigating = False
    """Navigate mode: single keys are commands (Ctrl+G enters it, Esc leaves it)."""

    controller: SessionController | None
    agent_names: tuple[str, ...]
    user_keymap: dict[str, str]
    _make_agent: Callable[[str], Agent] | None
    _aliases: dict[str, str]

    if TYPE_CHECKING:  # provided by RamifyApp and its other mixins

        def _need(self) -> SessionController | None: ...
        async def _show_path(self, *, reset: bool = False) -> None: ...
        async def _show_selection(self) -> None: ...
        async def _rebuild_tree(self) -> None: ...
        async def _catch_up(self, *, tree: bool = False) -> None: ...
        def _drive(self, start: Callable[[], Awaitable[RecordedReplies]]) -> Worker[None]: ...
        def _autosave_soon(self) -> None: ...
        @property
        def workflow_running(self) -> bool: ...

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(id="_default")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette commands, less those the registry offers already (Theme, Quit)
        and "Keys", whose panel F1's help replaces."""
        ours = {action.title.casefold() for action in ACTIONS} | {"keys"}
        for command in super().get_system_commands(screen):
            if command.title.casefold() not in ours:
                yield command

    # --- modes and focus ------------------------------------------------------------------------

    def focus_composer(self) -> None:
        """Back to typing: leave navigate mode and focus the message box."""
        self.set_navigating(False)
        composer = self.query_one(Composer)
        if not composer.disabled:
            composer.area.focus()

    def set_navigating(self, on: bool) -> None:
        """Enter or leave navigate mode, showing it in the message box's header and footer."""
        if on == self.navigating:
            return
        self.navigating = on
        self.query_one(Composer).navigating = on
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if is_navigation_only(action):
            return self.navigating
        if action == "compose":
            # Asked for the screen on top too (the footer's bindings): off the main screen the
            # message box is not there, and Esc belongs to the dialog.
            composers = self.query(Composer)
            if isinstance(self.focused, StreamPane):
                return False  # Esc on a live reply's pane cancels that reply (`cancel`)
            if isinstance(self.focused, WorkflowView) and self.workflow_running:
                return False  # Esc on a running workflow's board cancels it (`cancel`)
            if self.navigating:
                return True
            return bool(composers) and self.focused is not composers.first().area
        return True

    def action_navigate(self) -> None:
        if self.navigating:
            self.focus_composer()
            return
        self.set_navigating(True)
        if _takes_text(self.focused) or self.focused is None:
            self.query_one(Transcript).focus()

    def action_compose(self) -> None:
        self.focus_composer()

    def on_key(self, event: events.Key) -> None:
        # Runs before the app's own bindings are looked up (a subclass handler comes first), so
        # a typed letter is claimed here before it can run a command.
        if not isinstance(self.screen, MainScreen) or _takes_text(self.focused):
            return
        if not (event.is_printable and event.character):
            return
        if self.navigating:
            active = self.active_bindings.get(event.key)
            if active is not None and active.enabled:
                return  # a command of navigate mode
        event.prevent_default()
        event.stop()
        self._type_into_composer(event.character)

    def on_paste(self, event: events.Paste) -> None:
        if isinstance(self.screen, MainScreen) and not _takes_text(self.focused):
            event.stop()
            self._type_into_composer(event.text)

    def _type_into_composer(self, text: str) -> None:
        composer = self.query_one(Composer)
        self.focus_composer()
        if not composer.disabled:  # a replay plays: nothing to type into, nothing happens
            composer.area.insert(text)

    async def show_welcome(self, empty: bool) -> None:
        """Show the welcome while the session has no message, and hide it after."""
        found = self.query(Welcome)
        if found:
            found.first().display = empty
        elif empty:
            transcript = self.query_one(Transcript)
            parent = transcript.parent
            if isinstance(parent, Widget):
                await parent.mount(Welcome(self.user_keymap), before=transcript)

    # --- branching --------------------------------------------------------------------------

    async def action_fork(self) -> None:
        controller = self._need()
        if controller is None or controller.selected_hash is None:
            return
        default = await controller.propose_branch_name(controller.selected_hash)
        self.push_screen(PromptScreen("Fork here: name of the new branch", default=default),
                         self._fork_named)  # fmt: skip

    async def _fork_named(self, name: str | None) -> None:
        controller = self.controller
        if not name or controller is None:
            return
        try:
            await controller.fork(name)
        except Exception as error:
            self.notify(one_line(error), severity="error")
            return
        self.notify(f"Branch {name} created at {controller.path[-1][:8]}.")
        await self._show_path(reset=True)
        await self._rebuild_tree()
        self._autosave_soon()

    async def action_edit(self) -> None:
        controller = self._need()
        node = controller.selected_hash if controller else None
        if controller is None or node is None:
            return
        original = await controller.session.message(node)
        if original.role != "user":
            self.notify("Only your own messages can be edited; rerun (r) an agent's reply.")
            return
        name = await controller.propose_branch_name(node, "edit")

        def edited(result: EditResult | None) -> None:
            if result is None or result.text == original.text:
                return
            if result.branch in controller.heads:
                # Ask again with what was written: an edit is never lost to a taken name.
                self.notify(f"There is a branch {result.branch} already; choose another name.")
                self.push_screen(EditScreen(result.text, branch=result.branch), edited)
                return
            self._drive(lambda: controller.edit(result.text, name=result.branch))

        self.push_screen(EditScreen(original.text, branch=name), edited)

    async def action_forward(self) -> None:
        controller = self._need()
        if controller is None or controller.selected_hash is None:
            return
        items = [
            (f"branch:{name}", f"→ branch {name}")
            for name in sorted(controller.heads)
            if name != controller.branch
        ]
        items += [(f"agent:{name}", f"→ agent {name}") for name in self._agent_choices()]
        self.push_screen(PickScreen("Forward the selected message to…", items), self._forward_to)

    async def _forward_to(self, choice: str | None) -> None:
        controller = self.controller
        if not choice or controller is None:
            return
        kind, _, name = choice.partition(":")
        if kind == "branch":
            try:
                await controller.forward_to_branch(name)
            except Exception as error:
                self.notify(one_line(error), severity="error")
                return
            self.notify(f"Forwarded to {name}.")
            await self._catch_up(tree=True)
        else:
            agent = self._agent(name)
            if agent is not None:
                self._drive(lambda: controller.forward_to_agent(agent))

    async def action_branch_switch(self) -> None:
        controller = self._need()
        if controller is None:
            return
        items = [(b.name, b.describe()) for b in await controller.branch_summaries()]
        self.push_screen(
            PickScreen("Switch branch", items, highlighted=controller.branch), self.switch_branch
        )

    async def switch_branch(self, name: str | None) -> None:
        """Check out branch `name` (None: do nothing)."""
        if name and self.controller is not None:
            await self.controller.checkout(name)
            await self._show_path(reset=True)
            await self._rebuild_tree()

    # --- the agent that receives what is sent -------------------------------------------------

    async def action_target(self) -> None:
        controller = self._need()
        if controller is None:
            return
        items = [(name, name) for name in self._agent_choices()]

        def picked(name: str | None) -> None:
            if name:
                self.use_target(name)

        self.push_screen(
            PickScreen("Send to which agent or model?", items, highlighted=controller.target.alias),
            picked,
        )

    def use_target(self, name: str) -> None:
        """Send the next messages to agent or model `name`."""
        agent = self._agent(name)
        if agent is not None and self.controller is not None:
            self.controller.set_target(agent)
            self.query_one(Composer).target = agent.alias

    def _agent_choices(self) -> list[str]:
        """Every agent or model once: a configured name that resolves to an agent already listed
        (`demo` is `DEMO_AGENT`) is not offered again."""
        names = list(self.controller.agents) if self.controller else []
        for name in self.agent_names:
            if name not in names and self._alias_of(name) not in names:
                names.append(name)
        return names

    def _alias_of(self, name: str) -> str:
        aliases = self._aliases
        if name not in aliases:
            try:
                aliases[name] = self._make_agent(name).alias if self._make_agent else name
            except Exception:
                aliases[name] = name  # offered by name; picking it reports the problem
        return aliases[name]

    def _agent(self, name: str) -> Agent | None:
        controller = self.controller
        if controller is not None and name in controller.agents:
            return controller.agents[name]
        if self._make_agent is None:
            self.notify(f"Unknown agent {name!r}.", severity="error")
            return None
        try:
            agent = self._make_agent(name)
        except Exception as error:
            self.notify(one_line(error), severity="error")
            return None
        if controller is not None:
            controller.agents[agent.alias] = agent
        return agent

    # --- moving the selection -----------------------------------------------------------------

    async def _moved(self, moved: bool, limit: str) -> None:
        if moved:
            await self._show_selection()
        else:
            self.notify(limit, timeout=2)

    async def action_nav_parent(self) -> None:
        if self.controller:
            await self._moved(await self.controller.nav_parent(), "This is the first message.")

    async def action_nav_child(self) -> None:
        if self.controller:
            await self._moved(
                await self.controller.nav_child(), "This is the last message of the branch."
            )

    async def action_nav_prev_sibling(self) -> None:
        if self.controller:
            await self._moved(await self.controller.nav_sibling(-1), "No earlier sibling here.")

    async def action_nav_next_sibling(self) -> None:
        if self.controller:
            await self._moved(await self.controller.nav_sibling(1), "No later sibling here.")

    async def action_nav_prev_branch_point(self) -> None:
        if self.controller:
            await self._moved(
                self.controller.nav_branch_point(-1), "No branch point above the selection."
            )

    async def action_nav_next_branch_point(self) -> None:
        if self.controller:
            await self._moved(
                self.controller.nav_branch_point(1), "No branch point below the selection."
            )

    async def action_search(self) -> None:
        controller = self._need()
        if controller is None:
            return
        self.push_screen(PromptScreen("Search every branch", placeholder="words…"), self.search)

    async def search(self, query: str | None) -> None:
        """Search every branch for `query` and offer the hits; picking one jumps to it."""
        controller = self.controller
        if not query or controller is None:
            return
        hits = await controller.search(query)
        if not hits:
            self.notify(f"No message contains {query!r}.")
            return
        items = [(hit.node_hash, f"[{hit.branch}] {hit.sender}: {hit.snippet}") for hit in hits]

        async def picked(node: str | None) -> None:
            if node:
                await self.jump_to(node)

        self.push_screen(PickScreen(f"{len(hits)} hits for {query!r}", items), picked)

    async def jump_to(self, node_hash: str) -> None:
        """Show the path through a node and select it."""
        controller = self._need()
        if controller is None:
            return
        await controller.show_node(node_hash)
        await self._show_selection()

    # --- tree pane ----------------------------------------------------------------------------

    async def on_branch_tree_run_selected(self, event: BranchTree.RunSelected) -> None:
        await self.jump_to(event.run.first)

    async def on_branch_tree_branch_selected(self, event: BranchTree.BranchSelected) -> None:
        await self.switch_branch(event.name)
