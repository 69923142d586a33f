"""``python -m benchmarks``: every benchmark in one Markdown table, also written to the docs.

    python -m benchmarks                    # everything; rewrites the block in docs/benchmarks.md
    python -m benchmarks --quick            # a smoke run, printed only
    python -m benchmarks --only coldstart   # one section (repeat --only for more)
    python -m benchmarks --only huge        # just the huge-reply rows of the tui section
    python -m benchmarks --quick --doc /tmp/bench.md

A full run of every section writes its table between the ``<!-- bench:start -->`` and
``<!-- bench:end -->`` markers of ``docs/benchmarks.md``; a partial or quick run writes only
where ``--doc`` says, so a smoke run never replaces the published figures. Progress goes to
stderr, the table to stdout. A section that fails shows as a row and the exit code is 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import inspect
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from . import coldstart
from .table import Row, as_row, render_table, write_block

DEFAULT_DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SKIPPED_MINIAGENTS = "MiniAgents anchor: skipped (install .[bench])"
REPRODUCE = (
    "Reproduce: `pip install -e '.[bench]'`, then `python -m benchmarks` (about 2-3 minutes "
    "on 2 cores; `--quick` for a smoke run, `--only core|store|coldstart|tui|net|remote|workflow` "
    "for one section, `--only huge` for the huge-reply rows alone; the remote section needs "
    ".[nats])."
)

Section = Callable[[bool], list[Row]]


def core_rows(quick: bool) -> list[Row]:
    """Ramify vs MiniAgents vs a bare asyncio.Queue (`benchmarks.core_bench`)."""
    from . import core_bench

    have_anchor = core_bench.MINIAGENTS_ERROR is None
    anchor_name = f"MiniAgents {_version('miniagents')}" if have_anchor else ""
    rows = [
        Row(
            section="core",
            name=item["scenario"],
            ours=item["ramify"],
            anchor=item["miniagents"],
            ratio=item["ratio"],
            goal=item["goal"],
            met=item["met"],
            unit=item["unit"],
            floor=item["queue"],
            anchor_name=anchor_name,
            floor_name="bare asyncio.Queue" if item["queue"] is not None else "",
            note=item["note"],
        )
        for item in core_bench.run(quick=quick)
    ]
    if not have_anchor:
        rows.insert(0, Row(section="core", name=SKIPPED_MINIAGENTS, ours=None))
    return rows


# What `store_bench.run()` returns, by key: (measure, unit, goal). Keys not listed here
# still get a row, named by the key.
_STORE_ROWS: dict[str, tuple[str, str, str]] = {
    "insert_nodes_per_s": ("bulk insert, {nodes} nodes + messages", "nodes/s", ">= 30,000"),
    "walk_ms_median": ("ancestor path walk, depth {walk_depth}, median", "ms", "<= 20 ms"),
    "walk_ms_max": ("ancestor path walk, depth {walk_depth}, max", "ms", ""),
    "search_ms_median": ("FTS search, all sessions, limit 100, median", "ms", ""),
    "session_search_ms_median": ("FTS search within one session, median", "ms", ""),
    "reinsert_1000_existing_ms": ("re-insert 1,000 existing nodes (dedupe)", "ms", ""),
    "db_mb": ("database + WAL on disk", "MB", ""),
    "cas_round_trips_per_s": ("ref compare-and-swap, two writers", "attempts/s", ""),
    "cas_wins": ("compare-and-swaps won of the attempts", "", ""),
}
_STORE_CHECKS: dict[str, Callable[[float], bool]] = {
    "insert_nodes_per_s": lambda value: value >= 30_000,
    "walk_ms_median": lambda value: value <= 20,
}
_STORE_CONTEXT = ("nodes", "batch", "walk_depth", "search_hits")


def store_rows(quick: bool) -> list[Row]:
    """SQLiteStore throughput (`benchmarks.store_bench`), with whatever its `run()` returns."""
    from . import store_bench

    # Its signature may change while the store is tuned: pass only what it accepts.
    measure: Callable[..., Any] = store_bench.run
    parameters = inspect.signature(measure).parameters
    if "quick" in parameters:
        results = measure(quick=quick)
    elif quick and "total" in parameters:
        results = measure(total=10_000)
    else:
        results = measure()
    if not isinstance(results, dict):
        return [as_row(item, "store") for item in results]
    return _store_dict_rows(results)


def _store_dict_rows(results: dict[str, Any]) -> list[Row]:
    context = {key: results[key] for key in _STORE_CONTEXT if key in results}
    labels = {
        key: f"{value:,}" if isinstance(value, int) else str(value)
        for key, value in context.items()
    }
    labels.setdefault("nodes", "?")
    labels.setdefault("walk_depth", "?")
    rows = []
    for key, value in results.items():
        if key in _STORE_CONTEXT or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        measure, unit, goal = _STORE_ROWS.get(key, (key, "", ""))
        check = _STORE_CHECKS.get(key)
        rows.append(
            Row(
                section="store",
                name=measure.format(**labels),
                ours=float(value),
                goal=goal,
                met=check(value) if check is not None else None,
                unit=unit,
            )
        )
    if rows and context:
        details = ", ".join(f"{key} {label}" for key, label in labels.items() if key in context)
        rows[0] = dataclasses.replace(rows[0], note=f"SQLiteStore on a temporary file; {details}")
    return rows


def coldstart_rows(quick: bool) -> list[Row]:
    """Wall time of fresh processes (`benchmarks.coldstart`)."""
    return coldstart.run(quick=quick)


def tui_rows(quick: bool) -> list[Row]:
    """TUI figures from ``benchmarks/tui_bench.py`` when that module exists."""
    module_name = f"{__package__}.tui_bench"
    try:
        tui_bench = importlib.import_module(module_name)
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and error.name == module_name:
            reason = "benchmarks/tui_bench.py not written yet"
        else:
            reason = _one_line(error)
        return [Row(section="tui", name=f"skipped ({reason})", ours=None)]
    return [as_row(item, "tui") for item in tui_bench.run(quick=quick)]


def huge_rows(quick: bool) -> list[Row]:
    """The huge-reply rows of the tui section alone (`tui_bench.run_huge`)."""
    from . import tui_bench

    return [as_row(item, "tui") for item in tui_bench.run_huge(quick=quick)]


def net_rows(quick: bool) -> list[Row]:
    """Agent networks: the contract net in memory and recorded (`benchmarks.net_bench`)."""
    from . import net_bench

    return net_bench.run(quick=quick)


def remote_rows(quick: bool) -> list[Row]:
    """Remote agents over NATS vs in process vs a bare nats-py relay (`remote_bench`)."""
    from . import remote_bench

    return remote_bench.run(quick=quick)


def workflow_rows(quick: bool) -> list[Row]:
    """Workflows vs LangGraph, in memory and recorded to SQLite (`benchmarks.workflow_bench`)."""
    from . import workflow_bench

    return workflow_bench.run(quick=quick)


SECTIONS: dict[str, Section] = {
    "core": core_rows,
    "store": store_rows,
    "coldstart": coldstart_rows,
    "tui": tui_rows,
    "net": net_rows,
    "remote": remote_rows,
    "workflow": workflow_rows,
}
PARTS: dict[str, Section] = {"huge": huge_rows}
"""Parts of a section that `--only` can run alone; a full run gets them from their section."""


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description(*, quick: bool, sections: Sequence[str], seconds: float) -> str:
    """One paragraph: the machine, the interpreter, the date, what ran, and how to redo it."""
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average {:.1f} / {:.1f} / {:.1f} at the end".format(*os.getloadavg())
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    ran = "every section" if list(sections) == list(SECTIONS) else ", ".join(sections)
    return (
        f"Machine: {os.cpu_count()} CPUs ({_cpu_model()}), {platform.platform()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, MiniAgents {_version('miniagents')}{load}. "
        f"Run: {now}, {'quick' if quick else 'full'} run of {ran}, {seconds:.0f} s.\n\n"
        f"{REPRODUCE}"
    )


def run_sections(names: Sequence[str], quick: bool) -> tuple[list[Row], bool]:
    """Rows of the named sections, in order, and whether every section ran to the end."""
    rows: list[Row] = []
    ok = True
    for name in names:
        print(f"[benchmarks] {name}{' (quick)' if quick else ''} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            rows += {**SECTIONS, **PARTS}[name](quick)
        except Exception as error:
            ok = False
            rows.append(Row(section=name, name=f"failed: {_one_line(error)}", ours=None))
        seconds = time.perf_counter() - started
        print(f"[benchmarks] {name} done in {seconds:.0f} s", file=sys.stderr, flush=True)
    return rows, ok


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m benchmarks``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Run Ramify's benchmarks; print one table."
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (small sizes)")
    parser.add_argument(
        "--only",
        action="append",
        choices=[*SECTIONS, *PARTS],
        metavar="SECTION",
        help=f"run only this section ({', '.join([*SECTIONS, *PARTS])}); repeat for more",
    )
    parser.add_argument(
        "--doc",
        type=Path,
        metavar="PATH",
        help="write the table between the bench markers of this file (default: "
        "docs/benchmarks.md, and only after a full run of every section)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections, print the block, write it to the doc; the exit code."""
    args = build_parser().parse_args(argv)
    choices = [*SECTIONS, *PARTS]
    names = [name for name in choices if name in args.only] if args.only else list(SECTIONS)
    started = time.perf_counter()
    rows, ok = run_sections(names, args.quick)
    seconds = time.perf_counter() - started
    block = "\n\n".join(
        [
            render_table(rows),
            machine_description(quick=args.quick, sections=names, seconds=seconds),
        ]
    )
    print(block)
    doc = args.doc
    if doc is None and not args.quick and not args.only:
        doc = DEFAULT_DOC
    if doc is not None:
        write_block(doc, block)
        print(f"[benchmarks] wrote the table to {doc}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
