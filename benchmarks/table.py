"""The one table every benchmark section reports into, and the doc block it is written to.

Each section returns a list of `Row`s; `render_table` makes them one Markdown table (a legend
naming each section's anchor and floor, then footnotes), and `write_block` puts a rendered
block between the ``<!-- bench:start -->`` / ``<!-- bench:end -->`` markers of a document,
leaving the prose around them alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "END_MARKER",
    "START_MARKER",
    "Row",
    "as_row",
    "format_ratio",
    "format_value",
    "render_table",
    "replace_block",
    "write_block",
]

START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"


@dataclass(frozen=True)
class Row:
    """One measurement: Ramify's figure beside its anchor's, and whether it meets its goal.

    Attributes:
        section: the benchmark it belongs to (``core``, ``store``, ``coldstart``, ``tui``).
        name: what was measured; for a skipped item, what was skipped and why.
        ours: Ramify's figure, or None when not measured.
        anchor: the anchor's figure from the same run, or None (no anchor, or skipped).
        ratio: Ramify's advantage over the anchor (throughput ratio, speed-up, or the
            fraction of the anchor's memory), or None.
        goal: the target in words ("" or "info only" when there is none).
        met: whether the goal is met; None when there is no goal or no figure.
        unit: the unit of `ours`, `anchor` and `floor`.
        floor: a bare lower bound measured beside it (asyncio.Queue, ``python -c pass``).
        anchor_name: what the anchor column is for this row, shown in the legend.
        floor_name: what the floor column is for this row, shown in the legend.
        note: a footnote.
    """

    section: str
    name: str
    ours: float | None
    anchor: float | None = None
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    unit: str = ""
    floor: float | None = None
    anchor_name: str = ""
    floor_name: str = ""
    note: str = ""


_ROW_FIELDS = frozenset(field.name for field in dataclasses.fields(Row))


def as_row(item: Row | Mapping[str, Any], section: str) -> Row:
    """`item` as a `Row`: a Row as it is, a mapping of Row fields (section defaults to
    `section`); unknown keys are refused, so a renamed field fails loudly."""
    if isinstance(item, Row):
        return item
    unknown = set(item) - _ROW_FIELDS
    if unknown:
        raise TypeError(f"{section}: not Row fields: {sorted(unknown)}")
    return Row(**{"section": section, **item})


def format_value(value: float | None, unit: str) -> str:
    """A figure for the table, rounded for its unit ("-" for None)."""
    if value is None:
        return "-"
    if unit == "tokens/s":
        return f"{value / 1000:,.0f}k"
    if unit == "s":
        return f"{value:.3f}" if value >= 0.01 else f"{value:.2g}"
    if unit == "ms":
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    if unit in ("MiB", "MB"):
        return f"{value:.1f}"
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_ratio(ratio: float | None) -> str:
    """A ratio as ``4.5x`` (``0.02x`` below one); "-" for None."""
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" if ratio < 1 else f"{ratio:.1f}x"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: Sequence[Row]) -> str:
    """The rows as one Markdown table, followed by the legend and the footnotes."""
    lines = [
        "| section | measure | unit | Ramify | anchor | floor | ratio | goal | met |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        met = {True: "yes", False: "NO", None: "-"}[row.met]
        cells = [
            row.section,
            row.name,
            row.unit or "-",
            format_value(row.ours, row.unit),
            format_value(row.anchor, row.unit),
            format_value(row.floor, row.unit),
            format_ratio(row.ratio),
            row.goal or "-",
            met,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    legend = _legend(rows)
    if legend:
        lines += ["", *legend]
    notes = [f"- {row.section}, {row.name}: {row.note}" for row in rows if row.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines)


def _legend(rows: Iterable[Row]) -> list[str]:
    anchors: dict[str, set[str]] = {}
    floors: dict[str, set[str]] = {}
    for row in rows:
        if row.anchor_name:
            anchors.setdefault(row.anchor_name, set()).add(row.section)
        if row.floor_name:
            floors.setdefault(row.floor_name, set()).add(row.section)

    def describe(names: dict[str, set[str]]) -> str:
        return "; ".join(
            f"{name} ({', '.join(sorted(sections))})" for name, sections in names.items()
        )

    legend = []
    if floors:
        legend.append(f"Floor: {describe(floors)}.")
    if anchors:
        legend.insert(0, f"Anchor: {describe(anchors)}.")
        legend.append(
            "Ratio: Ramify's advantage over the anchor (throughput ratio, speed-up, or the "
            "fraction of the anchor's memory)."
        )
    return [" ".join(legend)] if legend else []


def replace_block(text: str, block: str) -> str:
    """`text` with `block` between its markers (appended in a new section when it has none)."""
    wrapped = f"{START_MARKER}\n{block.strip()}\n{END_MARKER}"
    start = text.find(START_MARKER)
    end = text.find(END_MARKER)
    if start == -1 and end == -1:
        separator = (
            "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        )
        return f"{text}{separator}## Summary\n\n{wrapped}\n"
    if text.count(START_MARKER) != 1 or text.count(END_MARKER) != 1 or end < start:
        raise ValueError(
            f"the doc's bench markers are broken: it needs {START_MARKER} then {END_MARKER}, "
            "once each"
        )
    return text[:start] + wrapped + text[end + len(END_MARKER) :]


def write_block(path: Path, block: str) -> None:
    """Put `block` between the markers of the document at `path` (created if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_block(text, block), encoding="utf-8")
