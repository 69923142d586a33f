"""Start the IDE: read the config, pick the agent, open the store, run the app, close cleanly.

Every way this can go wrong before the first frame (a broken config, a damaged database, a bad
agent file) ends in one line on stderr saying what to do, never a traceback; so does a store
failure while the IDE runs (exit 1).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ramify.core import Agent, Store, StoreError
    from ramify.core.llm import RamifyConfig
    from ramify.core.workflow import Workflow
    from ramify.tui.app import BackgroundJob, RamifyApp
    from ramify.tui.controller import SessionController


@dataclass(frozen=True, slots=True)
class LaunchOptions:
    """What the command line asked for."""

    demo: bool = False
    agent_spec: str | None = None
    open_file: Path | None = None
    replay_file: Path | None = None
    pace: float = 1.0
    new_session: bool = False
    store: str | None = None
    tools: bool = False
    workflow_input: str | None = None
    resume: bool = True


def _warn(text: str) -> None:
    print(f"ramify: {text}", file=sys.stderr)


def load_settings() -> tuple[RamifyConfig, list[str]]:
    """The config, and the start-up notices about it for the app to show.

    A config that cannot be read is reported (on stderr too, for a run without a screen) and
    replaced by the defaults; an unknown theme or keymap entry is reported and left in the file.
    """
    from ramify.core.llm import ConfigError, RamifyConfig, load_config

    try:
        config = load_config()
    except ConfigError as error:
        notice = f"{error}; starting with the default settings"
        _warn(notice)
        return RamifyConfig(), [notice]
    return config, [*_theme_notices(config.theme), *keymap_notices(config.keymap)]


def _theme_notices(theme: str) -> list[str]:
    from textual.theme import BUILTIN_THEMES

    from ramify.themes.ramify import DEFAULT_THEME, THEMES

    if theme in BUILTIN_THEMES or theme in {known.name for known in THEMES}:
        return []
    return [f"unknown theme {theme!r} in the config; using {DEFAULT_THEME} (F2 picks a theme)"]


def keymap_notices(keymap: Mapping[str, str]) -> list[str]:
    """One line per problem in a user keymap: an id that names no action, or a key that two
    actions would share because of it."""
    from ramify.tui.actions import REGISTRY, find_clashes, unknown_keymap_ids

    notices = []
    for action_id in unknown_keymap_ids(keymap):
        close = difflib.get_close_matches(action_id, REGISTRY, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        notices.append(f"keymap: {action_id!r} is not an action id{hint}; it is ignored")
    for key, owners in find_clashes(keymap=keymap).items():
        if any(owner in keymap for owner in owners):
            both = " and ".join(repr(owner) for owner in owners)
            notices.append(f"keymap: {key!r} is bound to {both}; give one of them another key")
    return notices


def _store_notices(options: LaunchOptions, config: RamifyConfig) -> list[str]:
    """A warning when the store URL in use holds a password (on stderr too)."""
    from ramify.core.store.choice import choose_store_location, password_warning

    if options.replay_file is not None:
        return []
    warning = password_warning(choose_store_location(options.store, config.store))
    if warning is None:
        return []
    _warn(warning)
    return [warning]


def pick_target(
    options: LaunchOptions, config: RamifyConfig
) -> tuple[Agent | Workflow | None, list[str]]:
    """The agent the IDE talks to, or the workflow it runs (None: the agent file cannot be
    used, already reported), and the start-up notices saying why it is the demo model when
    the config named another."""
    from ramify.core.llm import agent_for_model, default_agent_problem, demo_agent

    if options.agent_spec:
        from ramify.tui.agent_loader import AgentSpecError, load_target_spec

        try:
            return load_target_spec(options.agent_spec), []
        except AgentSpecError as error:
            _warn(str(error))
            return None, []
    if options.demo:
        return demo_agent, []
    problem = default_agent_problem(config)
    notices = [f"{problem}. Using the offline demo model meanwhile."] if problem else []
    return agent_for_model(None, config), notices


def run(options: LaunchOptions) -> int:
    """Run the IDE; returns the process exit code."""
    import asyncio

    try:
        return asyncio.run(_run(options))
    except KeyboardInterrupt:
        return 130


async def _run(options: LaunchOptions) -> int:
    from ramify.core import Agent, Ramify, StoreError
    from ramify.core.llm import agent_for_model, set_setting
    from ramify.core.redact import redact_urls

    config, notices = load_settings()
    notices.extend(_store_notices(options, config))
    target, target_notices = pick_target(options, config)
    if target is None:
        return 2
    workflow = None
    if not isinstance(target, Agent):
        workflow = _workflow_start(target, options)
        if workflow is None:
            return 2
        # The composer talks to the usual agent while the workflow runs on its board.
        target, target_notices = pick_target(replace(options, agent_spec=None), config)
        assert isinstance(target, Agent)
    elif options.workflow_input is not None:
        _warn("--input goes with a workflow: ramify FILE.py:NAME --input JSON, NAME a Workflow")
        return 2
    target = _configured(target, config)
    if options.tools:
        from ramify.tui.tools_target import equip_with_tools

        target, tool_notices = await equip_with_tools(target, config)
        target_notices = [*target_notices, *tool_notices]
    store_or_error = await _open_store(options, config)
    if isinstance(store_or_error, str):
        _warn(store_or_error)
        return 1
    store = store_or_error
    if not _has_terminal():
        await store.close()
        _warn("the IDE needs a terminal (stdin and stderr must be a tty); try `ramify export`")
        return 2
    try:
        opener = await _opener(options, target, store)
    except Exception as error:
        await store.close()
        _warn(_describe(error))
        return 1
    background: list[BackgroundJob] = []
    if config.agents:
        from ramify.tui.remote_resync import resync_on_open

        resync_notices, background = await resync_on_open(await opener(store), config)
        target_notices = [*target_notices, *resync_notices]

    def save_theme(name: str) -> None:
        set_setting("theme", name)

    store_failures: list[StoreError] = []
    app = _app_class(store_failures.append)(
        store,
        opener,
        agent_names=("demo", *config.models),
        make_agent=lambda name: _configured(agent_for_model(name, config), config),
        keymap=config.keymap,
        theme=config.theme,
        save_theme=save_theme,
        replay_pace=options.pace if options.replay_file else None,
        session_file=options.open_file,
        autosave=config.autosave,
        startup_notices=(*notices, *target_notices),
        background=background,
        auto_resume=options.resume,
    )
    if workflow is not None:
        app.queue_workflow(*workflow)
    try:
        async with Ramify(errors_as_messages=True, shutdown_timeout=2.0):
            await app.run_async()
    except StoreError as error:
        _warn(redact_urls(str(error)))
        return 1
    finally:
        await store.close()
    if store_failures:
        # A store's message may quote its URL: masked whatever the store does.
        _warn(redact_urls(str(store_failures[0])))
        return 1
    # Textual sets 1 when the app died of an error: that must not exit 0.
    return app.return_code or 0


def _workflow_start(
    workflow: Workflow, options: LaunchOptions
) -> tuple[Workflow, dict[str, Any], str] | None:
    """The workflow, its input from ``--input`` and the source to record (None: the input is
    bad, reported)."""
    from ramify.tui.app_workflows import WorkflowInputError, parse_workflow_input
    from ramify.tui.workflow_loader import workflow_source

    try:
        value = parse_workflow_input(options.workflow_input or "")
        return workflow, value, workflow_source(options.agent_spec or "")
    except WorkflowInputError as error:
        _warn(f"--input: {error}")
        return None


def _configured(agent: Agent, config: RamifyConfig) -> Agent:
    """`agent`, or its remote form when the config says ``[agents.NAME] remote = ...``."""
    if not config.agents:
        return agent
    from ramify.core.remote import with_remote_settings

    return with_remote_settings(agent, config)


def _app_class(report: Callable[[StoreError], None]) -> type[RamifyApp]:
    from ramify.core import StoreError
    from ramify.tui.app import RamifyApp

    class LaunchedApp(RamifyApp):
        """The IDE as `ramify` runs it: a store failure while it runs (a damaged page, a full
        disk) is handed to `report` and ends the app with exit 1, instead of Textual's
        traceback full of locals."""

        def _handle_exception(self, error: Exception) -> None:
            if isinstance(error, StoreError):
                report(error)
                self.exit(return_code=1)
                return
            super()._handle_exception(error)

    return LaunchedApp


async def _open_store(options: LaunchOptions, config: RamifyConfig) -> Store | str:
    from ramify.core import MemoryStore
    from ramify.core.store.choice import choose_store_location
    from ramify.tui.store_commands import open_chosen_store

    if options.replay_file is not None:
        # A replay never writes to the user's database: the session lives in memory.
        return MemoryStore()
    return await open_chosen_store(choose_store_location(options.store, config.store))


async def _opener(
    options: LaunchOptions, target: Agent, store: Store
) -> Callable[[Store], Awaitable[SessionController]]:
    """How the app opens its session. A session file is imported now, before the first frame,
    so a damaged one is reported in one line and nothing starts (the store is unchanged)."""
    from ramify.core import Session
    from ramify.tui.controller import SessionController

    file = options.replay_file or options.open_file
    if file is None:
        # Loaded before the first frame too, so a damaged database ends in one line here.
        controller = await SessionController.open(store, None, target, create=options.new_session)
    else:
        text = await _read_session_file(file)
        session = await Session.import_markdown(store, text, source=str(file))
        controller = SessionController(session, target)
        await controller.load()

    async def opened(_: Store) -> SessionController:
        return controller

    return opened


async def _read_session_file(file: Path) -> bytes:
    from ramify.core.sessionfile import read_session_file

    try:
        return await read_session_file(file)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such session file: {file}") from None


def _has_terminal() -> bool:
    if os.environ.get("TEXTUAL_DRIVER"):
        # A driver chosen by name (a browser tab's, `ramify serve`) brings its own screen.
        return True
    # Textual reads keys from stdin and draws on stderr.
    streams = (sys.stdin, sys.__stderr__)
    return all(stream is not None and stream.isatty() for stream in streams)


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename or ''}: {error.strerror}".lstrip(": ")
    return str(error) or type(error).__name__
