"""The `ramify` command line.

Argument parsing stays on the standard library and imports nothing heavy at module level, so
`ramify --version` and `ramify --help` return fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `ramify`."""
    parser = argparse.ArgumentParser(
        prog="ramify",
        description="Ramify: a terminal IDE for multi-agent LLM conversations.",
    )
    parser.add_argument("--version", action="version", version=f"ramify {version('ramify')}")
    parser.add_argument("--demo", action="store_true", help="use the offline demo model")
    parser.add_argument(
        "--config", metavar="FILE", help="read this config file instead of the default one"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ramify` console script."""
    args = build_parser().parse_args(argv)
    if args.config:
        # The config loader reads RAMIFY_CONFIG, so the flag and the variable agree.
        os.environ["RAMIFY_CONFIG"] = args.config
    from .demo_script import run_demo

    return run_demo(force_demo=args.demo)


if __name__ == "__main__":
    sys.exit(main())
