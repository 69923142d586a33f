"""The example sessions in `sessions/` are golden files: fresh exports match them, and each
imports back into a real SQLite store as the same tree."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from ramify.core import RunStatus, Session, Store

from .conftest import SESSIONS, examples
from .helpers import data_lines, tree_of

NAMES = list(examples().EXAMPLES)


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    """Every example, rebuilt and exported now."""
    texts: dict[str, str] = asyncio.run(examples().render_examples())
    return texts


def golden(name: str) -> str:
    return (SESSIONS / name).read_bytes().decode("utf-8")


def metadata(text: str) -> list[dict[str, object]]:
    lines = text.split("\n")
    return [json.loads(lines[index]) for index in data_lines(text)]


def test_the_examples_cover_a_linear_chat_and_every_scope_of_a_branched_one() -> None:
    assert set(NAMES) == {
        "linear.md",
        "branched.path.md",
        "branched.related.md",
        "branched.tree.md",
    }


@pytest.mark.parametrize("name", NAMES)
def test_fresh_export_matches_the_golden_file(fresh: dict[str, str], name: str) -> None:
    assert fresh[name] == golden(name), "run `python sessions/generate.py` if this is intended"


@pytest.mark.parametrize("name", NAMES)
async def test_golden_file_imports_back_to_the_same_tree(store: Store, name: str) -> None:
    text = golden(name)
    items = metadata(text)
    session = await Session.import_markdown(store, text, source=name)
    nodes, refs, active = await tree_of(session)
    assert nodes == set(re.findall(r" node ([0-9a-f]{64}) -->", text))
    assert nodes == {item["hash"] for item in items if item["kind"] == "node"}
    assert refs == {item["name"]: item["head"] for item in items if item["kind"] == "ref"}
    assert active == "main"
    stored_runs = [run.model_dump(mode="json") for run in await session.runs()]
    file_runs = [item["run"] for item in items if item["kind"] == "run"]
    assert sorted(stored_runs, key=str) == sorted(file_runs, key=str)
    scope = items[0]["scope"]
    assert await session.export_markdown(scope) == text  # type: ignore[arg-type]


def test_branched_example_has_sub_agents_an_edit_a_fork_a_failure_and_a_cancel() -> None:
    text = golden("branched.tree.md")
    items = metadata(text)
    runs = [item["run"] for item in items if item["kind"] == "run"]
    planner = next(run for run in runs if run["agent"] == "TRIP_PLANNER")  # type: ignore[index]
    children = {run["agent"] for run in runs if run["parent_run_id"] == planner["id"]}  # type: ignore[index]
    assert children == {"FOOD", "SIGHTS"}
    senders = {item["sender"] for item in items if item["kind"] == "node"}
    assert {"TRIP_PLANNER", "FOOD", "SIGHTS", "WRITER", "BOOKER", "SLOW_GUIDE"} <= senders
    assert "[→ `edit-1`](#r4d01b500-branch-edit-1)" in text
    assert "[→ `food-only`](#r4d01b500-branch-food-only)" in text
    statuses = {run["status"] for run in runs}  # type: ignore[index]
    assert {RunStatus.ERROR.value, RunStatus.CANCELLED.value} <= statuses
    assert "> **Error:** ConnectionError: the booking site did not answer" in text
    assert "SLOW\\_GUIDE · demo-guide-1 · cancelled" in text


def test_scopes_of_the_branched_example_nest() -> None:
    def hashes(name: str) -> set[str]:
        return set(re.findall(r" node ([0-9a-f]{64}) -->", golden(name)))

    path, related, tree = (hashes(f"branched.{scope}.md") for scope in ("path", "related", "tree"))
    assert path < related < tree
    assert '## <a id="r4d01b500-branch-notes"></a>' in golden("branched.tree.md")
    assert "branch-notes" not in golden("branched.related.md")
