"""Cold start: wall time of ``ramify --version`` and ``python -c "import ramify.core"``.

Each command runs in a fresh process, once to warm the file cache and then `repeats` times;
the figure is the median. ``python -c pass`` runs the same way as the floor: what any Python
program pays before its first import.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .table import Row

__all__ = ["LAUNCH_BUDGET_MS", "median_ms", "ramify_command", "run"]

#: Launch to first frame stays under this (shared/research/tui-anchors.md, item 19); the
#: imports measured here come before the first frame, so they must fit in it too.
LAUNCH_BUDGET_MS = 500.0


def ramify_command() -> tuple[list[str], str]:
    """How to start the ``ramify`` console script, and how to name it in the table."""
    found = shutil.which("ramify", path=str(Path(sys.executable).parent)) or shutil.which("ramify")
    if found:
        return [found], "`ramify --version`"
    return [sys.executable, "-m", "ramify.tui.cli"], "`python -m ramify.tui.cli --version`"


def median_ms(command: list[str], repeats: int) -> float:
    """Median wall time in ms of `repeats` fresh runs of `command`, after one warm-up run."""
    times = []
    for index in range(repeats + 1):
        started = time.perf_counter()
        subprocess.run(
            command,
            cwd=tempfile.gettempdir(),
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
        )
        if index:
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(quick: bool = False) -> list[Row]:
    """Time the commands (3 runs each when `quick`, else 15)."""
    repeats = 3 if quick else 15
    floor = median_ms([sys.executable, "-c", "pass"], repeats)
    command, label = ramify_command()
    goal = f"<= {LAUNCH_BUDGET_MS:.0f} ms"
    rows: list[Row] = []
    note = f"median of {repeats} fresh processes after a warm-up run"
    for name, argv in (
        (label, [*command, "--version"]),
        ('`python -c "import ramify.core"`', [sys.executable, "-c", "import ramify.core"]),
    ):
        ours = median_ms(argv, repeats)
        rows.append(
            Row(
                section="coldstart",
                name=name,
                ours=ours,
                goal=goal,
                met=ours <= LAUNCH_BUDGET_MS,
                unit="ms",
                floor=floor,
                floor_name="`python -c pass`",
                note="" if rows else note,
            )
        )
    return rows
