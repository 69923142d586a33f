"""The options of `ramify serve`, kept beside the command rather than in `cli.py`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535 (0 picks a free one), not {value}")
    return value


def add_serve_options(
    parser: argparse.ArgumentParser, ide_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """`--host`, `--port`, `--public`, and the session arguments every tab starts with."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (0 picks a free one)"
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="allow a non-loopback --host (there is no authentication: anyone who reaches "
        "the port can use the IDE)",
    )
    ide_options(parser)
    parser.add_argument(
        "agent",
        nargs="?",
        metavar="FILE.py:NAME",
        help="every tab talks to this @agent (or team) defined in a Python file",
    )


def serve_command(args: argparse.Namespace) -> int:
    """Run `ramify serve` with the parsed `args`."""
    from ramify.tui.serve import ServeOptions, serve

    return serve(
        ServeOptions(
            host=args.host,
            port=args.port,
            public=args.public,
            demo=args.demo,
            config=Path(args.config) if args.config else None,
            agent_spec=args.agent,
            store=args.store,
            tools=args.tools,
        )
    )
