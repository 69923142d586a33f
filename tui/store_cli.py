"""The `ramify store ...` subcommands' arguments (standard library only, so help stays fast)."""

from __future__ import annotations

import argparse

from ramify.tui.store_commands import DEFAULT_WORD

__all__ = ["add_store_commands", "run_store_command"]

_COPY = "Copy sessions (nodes, branches, reflog, runs) from store SRC into store DST."


def add_store_commands(parser: argparse.ArgumentParser) -> None:
    """Give `ramify store` its subcommands."""
    commands = parser.add_subparsers(dest="store_command", required=True, metavar="COMMAND")
    copy = commands.add_parser(
        "copy",
        help=_COPY,
        description=f"{_COPY} Copying again changes nothing; a copy into a store that "
        "already holds an earlier copy merges it. A branch moved in both stores keeps DST's "
        "head, and SRC's goes on a new branch NAME-copy-N.",
    )
    where = f"a SQLite file, sqlite:///PATH, postgresql://USER@HOST/DB or {DEFAULT_WORD!r}"
    copy.add_argument("source", metavar="SRC", help=f"the store to read: {where}")
    copy.add_argument("target", metavar="DST", help=f"the store to write: {where}")
    copy.add_argument(
        "--session",
        action="append",
        metavar="ID",
        help="copy only this session (an id or id prefix); repeat for more",
    )


def run_store_command(args: argparse.Namespace) -> int:
    """Run the `ramify store` subcommand `args` names; returns the exit code."""
    import asyncio

    from ramify.tui.store_commands import store_copy_command

    try:
        return asyncio.run(store_copy_command(args.source, args.target, args.session))
    except KeyboardInterrupt:
        return 130
