"""The README's "Coming from MiniAgents" table names import paths that exist on both sides."""

from __future__ import annotations

import re
from pathlib import Path

from ramify.compat.porting import port_miniagents_imports

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _table_imports() -> list[tuple[str, str]]:
    section = README.split("\n## Coming from MiniAgents\n", 1)[1].split("\n## ", 1)[0]
    pairs = []
    for row in section.splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if len(cells) != 2 or not row.startswith("|"):
            continue
        spans = [re.findall(r"`(from [^`]+ import [^`]+)`", cell) for cell in cells]
        if spans[0] and spans[1]:
            pairs.append((spans[0][0], spans[1][0]))
    return pairs


def test_the_table_has_import_rows() -> None:
    assert len(_table_imports()) >= 4


def test_every_import_in_the_table_works() -> None:
    for miniagents_line, ramify_line in _table_imports():
        assert miniagents_line.startswith("from miniagents")
        # The MiniAgents path, as the compat layer mirrors it (MiniAgents is not installed).
        exec(port_miniagents_imports(miniagents_line), {})
        exec(ramify_line, {})
