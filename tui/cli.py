"""The `ramify` command line.

Argument parsing stays on the standard library and imports nothing heavy at module level, so
`ramify --version` and `ramify --help` return fast. Subcommands (`open`, `replay`, `export`,
`import`, `sessions`) are told apart from an agent spec (`agents.py:team`) by their first word.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

SUBCOMMANDS = ("open", "replay", "export", "import", "sessions")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo", action="store_true", help="use the offline demo model")
    parser.add_argument(
        "--config", metavar="FILE", help="read this config file instead of the default one"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `ramify` without a subcommand."""
    parser = argparse.ArgumentParser(
        prog="ramify",
        description="Ramify: a terminal IDE for multi-agent LLM conversations.",
        epilog=(
            "subcommands: ramify open FILE.md | replay FILE.md | export | import FILE.md | "
            "sessions  (ramify SUBCOMMAND --help for each)"
        ),
    )
    parser.add_argument("--version", action="version", version=f"ramify {version('ramify')}")
    _common(parser)
    parser.add_argument("--new", action="store_true", help="start a new session")
    parser.add_argument(
        "agent",
        nargs="?",
        metavar="FILE.py:NAME",
        help="talk to an @agent (or a team) defined in a Python file",
    )
    return parser


def build_subparser(command: str) -> argparse.ArgumentParser:
    """The parser of one subcommand."""
    parser = argparse.ArgumentParser(prog=f"ramify {command}")
    _common(parser)
    if command == "open":
        parser.description = "Open a markdown session file in the IDE (it is imported first)."
        parser.add_argument("file", type=Path, metavar="FILE.md")
    elif command == "replay":
        parser.description = "Play a recorded session back in the IDE, with no model calls."
        parser.add_argument("file", type=Path, metavar="FILE.md")
        parser.add_argument(
            "--pace",
            type=float,
            default=1.0,
            help="speed factor: 2 plays twice as fast as recorded (default 1)",
        )
    elif command == "export":
        parser.description = "Write a session as markdown."
        parser.add_argument("session", nargs="?", help="session id or prefix (default: latest)")
        parser.add_argument("--scope", choices=("path", "related", "tree"), default="tree")
        parser.add_argument("--branch", help="branch whose path to export (default: active)")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    elif command == "import":
        parser.description = "Import a markdown session file into the session database."
        parser.add_argument("file", type=Path, metavar="FILE.md")
    elif command == "sessions":
        parser.description = "List the saved sessions, newest first."
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ramify` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = args_list[0] if args_list and args_list[0] in SUBCOMMANDS else None
    if command is None:
        args = build_parser().parse_args(args_list)
    else:
        args = build_subparser(command).parse_args(args_list[1:])
    if args.config:
        # The config loader reads RAMIFY_CONFIG, so the flag and the variable agree.
        os.environ["RAMIFY_CONFIG"] = args.config
    if command in ("export", "import", "sessions"):
        return _session_command(command, args)
    from ramify.tui.launch import LaunchOptions, run

    return run(
        LaunchOptions(
            demo=args.demo,
            agent_spec=getattr(args, "agent", None),
            open_file=args.file if command == "open" else None,
            replay_file=args.file if command == "replay" else None,
            pace=getattr(args, "pace", 1.0),
            new_session=getattr(args, "new", False),
        )
    )


def _session_command(command: str, args: argparse.Namespace) -> int:
    import asyncio

    from ramify.tui import session_commands

    if command == "export":
        work = session_commands.export_command(args.session, args.scope, args.branch, args.output)
    elif command == "import":
        work = session_commands.import_command(args.file)
    else:
        work = session_commands.sessions_command()
    try:
        return asyncio.run(work)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
