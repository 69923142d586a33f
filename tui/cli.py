"""The `ramify` command line.

Argument parsing stays on the standard library and imports nothing heavy at module level, so
`ramify --version` and `ramify --help` return fast. Subcommands (`open`, `replay`, `export`,
`import`, `sessions`, `store`, `worker`, `workers`, `serve`, `run`, `workflow`) are told apart
from an agent spec (`agents.py:team`) by their first word.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

SUBCOMMANDS = {
    "open": "Open a markdown session file in the IDE (it is imported first).",
    "replay": "Play a recorded session back in the IDE, with no model calls.",
    "export": "Write a session as markdown.",
    "import": "Import a markdown session file into the session database.",
    "sessions": "List the saved sessions, newest first.",
    "runs": "List the agent runs; --waiting: those stopped at an approval or a breakpoint.",
    "store": "Copy sessions between stores: ramify store copy SRC DST.",
    "worker": "Serve agents to remote callers over NATS (pip install 'ramify[nats]').",
    "workers": "List the live workers on a NATS server and the agents they serve.",
    "serve": "Serve the IDE to a web browser (one app process per tab).",
    "run": "Run a workflow: ramify run FILE.py:NAME --input JSON.",
    "workflow": "Workflow runs: ramify workflow list, ramify workflow resume [RUN].",
}


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (unset, or a switch)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


def _pace(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be above 0 (2 plays twice as fast), not {text}")
    return value


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="PATH|URL",
        help="the session store: a SQLite file, sqlite:///PATH or postgresql://USER@HOST/DB "
        "(default: RAMIFY_STORE, else the config's store, else the default database)",
    )


def _ide_options(parser: argparse.ArgumentParser, *, store: bool = True) -> None:
    """The options of every command that starts the IDE (`store`: it opens the store)."""
    if store:
        _store_option(parser)
    parser.add_argument("--demo", action="store_true", help="use the offline demo model")
    parser.add_argument(
        "--tools", action="store_true", help="give the model the demo tools and the MCP servers"
    )
    parser.add_argument(
        "--config", metavar="FILE", help="read this config file instead of the default one"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `ramify` without a subcommand."""
    listing = "\n".join(f"  {name:<10}{summary}" for name, summary in SUBCOMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="ramify",
        description="Ramify: a terminal IDE for multi-agent LLM conversations.",
        epilog=f"subcommands (ramify SUBCOMMAND --help for each):\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ramify {version('ramify')}")
    _ide_options(parser)
    parser.add_argument("--new", action="store_true", help="start a new session")
    parser.add_argument(
        "--no-resume",
        action="store_true",
        help="do not continue the session's interrupted workflow run on opening (W still does)",
    )
    parser.add_argument(
        "agent",
        nargs="?",
        metavar="FILE.py:NAME",
        help="talk to an @agent (or a team) defined in a Python file, or run a Workflow",
    )
    parser.add_argument(
        "--input", metavar="JSON", help="a workflow's input, a JSON object (default: {})"
    )
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    """The argument parser for `ramify SUBCOMMAND ...`: each subcommand has only its own options.

    It is separate from `build_parser` because an agent spec (`team.py:team`) in the place of a
    subcommand would be refused as an unknown choice.
    """
    parser = argparse.ArgumentParser(prog="ramify")
    subparsers = parser.add_subparsers(dest="command", required=True)

    def command(name: str) -> argparse.ArgumentParser:
        summary = SUBCOMMANDS[name]
        return subparsers.add_parser(
            name, description=summary, help=summary, formatter_class=_HelpFormatter
        )

    opener = command("open")
    opener.add_argument("file", type=Path, metavar="FILE.md")
    _ide_options(opener)
    replay = command("replay")
    replay.add_argument("file", type=Path, metavar="FILE.md")
    replay.add_argument(
        "--pace", type=_pace, default=1.0, help="speed factor: 2 plays twice as fast as recorded"
    )
    # A replay plays in memory and never opens a store.
    _ide_options(replay, store=False)
    export = command("export")
    export.add_argument(
        "session", nargs="?", help="session id, id prefix or title (default: the latest)"
    )
    export.add_argument(
        "--scope",
        choices=("path", "related", "tree"),
        default="tree",
        help="path: root to the branch's head; related: and the branches off it; tree: all",
    )
    export.add_argument("--branch", help="the branch to centre on (default: the active one)")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    _store_option(export)
    importer = command("import")
    importer.add_argument("file", type=Path, metavar="FILE.md")
    _store_option(importer)
    _store_option(command("sessions"))
    runs = command("runs")
    runs.add_argument(
        "--waiting", action="store_true", help="only runs waiting at an approval or a breakpoint"
    )
    _store_option(runs)
    from ramify.tui.store_cli import add_store_commands

    add_store_commands(command("store"))
    worker = command("worker")
    worker.add_argument("--nats", required=True, metavar="URL", help="nats://host:4222")
    worker.add_argument("agents", nargs="+", metavar="FILE.py:NAME", help="agents to serve")
    command("workers").add_argument("--nats", required=True, metavar="URL", help="nats://host:4222")
    from ramify.tui.serve_cli import add_serve_options

    add_serve_options(command("serve"), _ide_options)
    from ramify.tui.workflow_cli import add_run_options, add_workflow_commands

    add_run_options(command("run"), _store_option)
    add_workflow_commands(command("workflow"), _store_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ramify` console script."""
    try:
        try:
            return _main(list(sys.argv[1:] if argv is None else argv))
        finally:
            # Output still buffered fails here, not at exit, when the reader has gone.
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`ramify sessions | head -2`): stop quietly, as `cat` does.
        # Python would otherwise try to flush stdout again at exit and complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(args_list: list[str]) -> int:
    if args_list and args_list[0] in SUBCOMMANDS:
        args = build_command_parser().parse_args(args_list)
    else:
        args = build_parser().parse_args(args_list)
        args.command = None
    command = args.command
    if getattr(args, "config", None):
        # The config loader reads RAMIFY_CONFIG, so the flag and the variable agree.
        os.environ["RAMIFY_CONFIG"] = args.config
    if command in ("export", "import", "sessions", "runs"):
        return _session_command(command, args)
    if command == "store":
        from ramify.tui.store_cli import run_store_command

        return run_store_command(args)
    if command in ("worker", "workers"):
        from ramify.tui import worker_command as remote

        if command == "worker":
            return remote.worker_command(args.nats, args.agents)
        return remote.workers_command(args.nats)
    if command in ("run", "workflow"):
        from ramify.tui import workflow_cli

        if command == "run":
            return workflow_cli.run_command(args)
        return workflow_cli.workflow_command(args)
    if command == "serve":
        from ramify.tui.serve_cli import serve_command

        return serve_command(args)
    from ramify.tui.launch import LaunchOptions, run

    return run(
        LaunchOptions(
            demo=args.demo,
            tools=args.tools,
            workflow_input=getattr(args, "input", None),
            agent_spec=getattr(args, "agent", None),
            open_file=args.file if command == "open" else None,
            replay_file=args.file if command == "replay" else None,
            pace=getattr(args, "pace", 1.0),
            new_session=getattr(args, "new", False),
            resume=not getattr(args, "no_resume", False),
            store=getattr(args, "store", None),
        )
    )


def _session_command(command: str, args: argparse.Namespace) -> int:
    import asyncio

    from ramify.tui import session_commands
    from ramify.tui.store_commands import chosen_store

    store, notices = chosen_store(args.store)
    for notice in notices:
        print(f"ramify: {notice}", file=sys.stderr)
    if command == "export":
        work = session_commands.export_command(
            args.session, args.scope, args.branch, args.output, store=store
        )
    elif command == "import":
        work = session_commands.import_command(args.file, store=store)
    elif command == "runs":
        from ramify.tui.runs_command import runs_command

        work = runs_command(waiting=args.waiting, store=store)
    else:
        work = session_commands.sessions_command(store=store)
    try:
        return asyncio.run(work)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
