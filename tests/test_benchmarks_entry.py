"""`python -m benchmarks`: the table, the doc block, and a smoke run. No timings asserted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import benchmarks.__main__ as entry
from benchmarks.table import END_MARKER, START_MARKER, Row, as_row, render_table, replace_block

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = "| section | measure | unit | Ramify | anchor | floor | ratio | goal | met |"

FAKE_ROWS = [
    Row(
        section="core",
        name="(a) stream | yields",
        ours=206_000.0,
        anchor=46_000.0,
        ratio=4.48,
        goal=">= 4x MiniAgents",
        met=True,
        unit="tokens/s",
        floor=144_000.0,
        anchor_name="MiniAgents 0.0.35",
        floor_name="bare asyncio.Queue",
        note="consumer got every token",
    ),
    Row(
        section="core",
        name="(a) memory",
        ours=2.1,
        anchor=109.1,
        ratio=0.019,
        goal="<= 1/3",
        met=True,
        unit="MiB",
    ),
    Row(
        section="store",
        name="bulk insert",
        ours=20_326.0,
        goal=">= 30,000",
        met=False,
        unit="nodes/s",
    ),
    Row(section="tui", name="skipped (not written yet)", ours=None),
]


def _between_markers(text: str) -> str:
    assert text.count(START_MARKER) == 1
    assert text.count(END_MARKER) == 1
    return text.split(START_MARKER, 1)[1].split(END_MARKER, 1)[0]


def test_render_table_puts_every_row_in_one_markdown_table() -> None:
    lines = render_table(FAKE_ROWS).splitlines()
    assert lines[0] == HEADER
    assert lines[2] == (
        "| core | (a) stream \\| yields | tokens/s | 206k | 46k | 144k | 4.5x | "
        ">= 4x MiniAgents | yes |"
    )
    assert lines[3] == "| core | (a) memory | MiB | 2.1 | 109.1 | - | 0.02x | <= 1/3 | yes |"
    assert lines[4] == "| store | bulk insert | nodes/s | 20,326 | - | - | - | >= 30,000 | NO |"
    assert lines[5] == "| tui | skipped (not written yet) | - | - | - | - | - | - | - |"


def test_render_table_names_anchors_and_floors_and_lists_notes() -> None:
    text = render_table(FAKE_ROWS)
    assert "Anchor: MiniAgents 0.0.35 (core)." in text
    assert "Floor: bare asyncio.Queue (core)." in text
    assert "- core, (a) stream | yields: consumer got every token" in text


def test_replace_block_keeps_the_prose_around_the_markers() -> None:
    doc = f"# Title\n\nintro\n\n{START_MARKER}\nold table\n{END_MARKER}\n\n## More\n\nprose\n"
    updated = replace_block(doc, "new table")
    assert (
        updated
        == f"# Title\n\nintro\n\n{START_MARKER}\nnew table\n{END_MARKER}\n\n## More\n\nprose\n"
    )
    assert replace_block(updated, "new table") == updated


def test_replace_block_appends_a_summary_when_the_doc_has_no_markers() -> None:
    updated = replace_block("# Title\n\nintro\n", "table")
    assert updated == f"# Title\n\nintro\n\n## Summary\n\n{START_MARKER}\ntable\n{END_MARKER}\n"


@pytest.mark.parametrize(
    "doc",
    [
        f"{END_MARKER}\n{START_MARKER}\n",
        f"{START_MARKER}\n",
        f"{START_MARKER}{END_MARKER}{END_MARKER}",
    ],
)
def test_replace_block_refuses_broken_markers(doc: str) -> None:
    with pytest.raises(ValueError, match="bench markers are broken"):
        replace_block(doc, "table")


def test_as_row_accepts_mappings_of_row_fields() -> None:
    assert as_row({"name": "first frame", "ours": 120.0, "unit": "ms"}, "tui") == Row(
        section="tui", name="first frame", ours=120.0, unit="ms"
    )
    with pytest.raises(TypeError, match="not Row fields"):
        as_row({"name": "x", "ours": 1.0, "value": 2}, "tui")


def test_core_section_says_skipped_when_miniagents_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fake_run(quick: bool = False) -> list[dict[str, Any]]:
        return [
            {
                "scenario": "(c) fan-out",
                "ramify": 0.08,
                "miniagents": None,
                "queue": 0.006,
                "unit": "s",
                "ratio": None,
                "goal": ">= 5x faster",
                "met": None,
                "note": "",
            }
        ]

    from benchmarks import core_bench  # imports MiniAgents: only in this test

    monkeypatch.setattr(core_bench, "MINIAGENTS_ERROR", "ModuleNotFoundError: miniagents")
    monkeypatch.setattr(core_bench, "run", fake_run)
    rows = entry.core_rows(quick=True)
    assert rows[0].name == "MiniAgents anchor: skipped (install .[bench])"
    assert rows[1].anchor is None
    assert rows[1].anchor_name == ""
    assert rows[1].floor == 0.006


def test_store_results_become_rows_with_their_goals() -> None:
    rows = entry._store_dict_rows(
        {"nodes": 100_000, "insert_nodes_per_s": 31_000, "walk_depth": 1500, "walk_ms_median": 25.0}
    )
    assert [(row.name, row.met) for row in rows] == [
        ("bulk insert, 100,000 nodes + messages", True),
        ("ancestor path walk, depth 1,500, median", False),
    ]


def test_tui_section_is_skipped_until_its_module_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    monkeypatch.setattr(entry.importlib, "import_module", missing)
    (row,) = entry.tui_rows(quick=True)
    assert row.name == "skipped (benchmarks/tui_bench.py not written yet)"


def test_a_failing_section_is_a_row_and_exit_code_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(quick: bool) -> list[Row]:
        raise RuntimeError("no disk")

    monkeypatch.setitem(entry.SECTIONS, "store", broken)
    doc = tmp_path / "bench.md"
    assert entry.main(["--quick", "--only", "store", "--doc", str(doc)]) == 1
    assert "| store | failed: RuntimeError: no disk |" in _between_markers(doc.read_text())
    assert "failed: RuntimeError: no disk" in capsys.readouterr().out


@pytest.mark.slow
def test_quick_coldstart_run_writes_the_table_between_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    shutil.copy(DOC, doc)
    original = doc.read_text()
    real_before = DOC.read_text()
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "coldstart", "--doc", str(doc)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    updated = doc.read_text()
    block = _between_markers(updated)
    assert HEADER in block
    assert "| coldstart | `ramify --version` | ms |" in block
    assert '`python -c "import ramify.core"`' in block
    assert "Machine:" in block
    assert "Reproduce:" in block
    assert block.strip() in result.stdout
    # Only the block changed; the prose around it is the original's.
    head, tail = original.split(START_MARKER)[0], original.split(END_MARKER)[1]
    assert updated.startswith(head)
    assert updated.endswith(tail)
    assert DOC.read_text() == real_before


@pytest.mark.slow
def test_only_huge_runs_just_the_huge_reply_rows(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"{START_MARKER}\n{END_MARKER}\n")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "huge", "--doc", str(doc)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in _between_markers(doc.read_text()).splitlines() if line[:2] == "| "]
    names = [row.split(" | ")[1] for row in rows[2:]]
    assert names == [
        "1 MB reply: Enter to settled",
        "1 MB reply: RSS above the app's baseline, peak",
        "2 MB reply: Enter to settled",
        "2 MB reply: RSS above the app's baseline, peak",
    ]


@pytest.mark.slow
def test_quick_workflow_run_checks_every_output_is_a_node_with_or_without_langgraph() -> None:
    # The bench itself asserts every task output is stored as a node; a failed assert would
    # show as a "failed:" row and exit code 1. Without LangGraph its side is a skipped row.
    from benchmarks import workflow_bench

    rows = entry.workflow_rows(quick=True)
    names = [row.name for row in rows]
    assert not any(name.startswith("failed") for name in names)
    measured = [row for row in rows if row.ours is not None]
    assert [row.name for row in measured] == [
        "chain of 10 tasks, in memory",
        "chain of 10 tasks, recorded to SQLite",
        "chain of 10 tasks, recorded to SQLite, async durability",
        "fan-out to 50 tasks + join, in memory",
        "fan-out to 50 tasks + join, recorded to SQLite",
        "fan-out to 50 tasks + join, recorded to SQLite, async durability",
    ]
    if workflow_bench.LANGGRAPH_ERROR is None:
        assert all(row.anchor is not None and row.ratio is not None for row in measured)
    else:
        assert names[0].startswith("LangGraph: skipped")
        assert all(row.anchor is None for row in measured)


@pytest.mark.slow
def test_workflow_section_skips_langgraph_side_when_it_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmarks import workflow_bench

    # What the module sets when `import langgraph` fails (the test extra does not install it).
    monkeypatch.setattr(workflow_bench, "LANGGRAPH_ERROR", "ModuleNotFoundError: no langgraph")
    rows = entry.workflow_rows(quick=True)
    assert rows[0].name == "LangGraph: skipped (ModuleNotFoundError: no langgraph)"
    measured = rows[1:]
    assert len(measured) == 6
    assert all(row.ours is not None and row.anchor is None for row in measured)
    assert all(row.met is None for row in measured)
