"""Crafted and mutated session files against a real SQLite store: each is imported whole or
refused with `SessionFileError` naming its line, and a refused file writes nothing."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ramify.core import Session, SQLiteStore, Store
from ramify.core.sessionfile import SessionFileError, import_markdown
from ramify.core.sessionfile.syntax import comment_json

from .conftest import SESSIONS
from .helpers import data_lines, snapshot

GOLDEN = (SESSIONS / "branched.tree.md").read_text(encoding="utf-8")
GOLDEN_FILES = sorted(SESSIONS.glob("*.md"))
HOSTILE_JSON = [
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    '"\\ud800"',
    '"a\\udfffb"',
    '["\\udbff"]',
    "9" * 40,
    "-" + "9" * 30,
    "1" + "0" * 5000,
]
_PLACEHOLDER = '"@@crafted@@"'


def _craft(text: str, kind: str, path: tuple[str, ...], raw: str) -> tuple[str, int]:
    """`text` with the field at `path` of its first `kind` metadata line set to the raw JSON
    `raw`; returns the text and the 1-based line changed."""
    lines = text.split("\n")
    for index in data_lines(text):
        item = json.loads(lines[index])
        if item["kind"] != kind:
            continue
        target = item
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "@@crafted@@"
        lines[index] = comment_json(item).replace(_PLACEHOLDER, raw)
        return "\n".join(lines), index + 1
    raise AssertionError(f"no {kind} line")


FIELDS = [
    ("run", ("run", "started_at")),
    ("run", ("run", "ended_at")),
    ("run", ("run", "agent")),
    ("run", ("run", "usage")),
    ("node", ("created_at",)),
    ("node", ("sender",)),
    ("node", ("run_id",)),
    ("node", ("message", "text")),
    ("node", ("message", "extra")),
    ("session", ("session", "title")),
    ("session", ("session", "created_at")),
    ("ref", ("name",)),
]


@pytest.mark.parametrize("raw", HOSTILE_JSON)
@pytest.mark.parametrize(("kind", "path"), FIELDS)
async def test_a_crafted_value_is_refused_on_its_line_and_nothing_is_written(
    store: Store, kind: str, path: tuple[str, ...], raw: str
) -> None:
    await Session.import_markdown(store, (SESSIONS / "linear.md").read_text(encoding="utf-8"))
    before = await snapshot(store)
    crafted, line = _craft(GOLDEN, kind, path, raw)
    with pytest.raises(SessionFileError) as raised:
        await import_markdown(store, crafted, source="crafted.md")
    assert raised.value.line == line
    assert str(raised.value).startswith(f"crafted.md, line {line}: ")
    assert await snapshot(store) == before
    assert len(await store.list_runs()) == before[2]


def _mutate(rng: random.Random, text: str) -> str:
    """One to three random edits: a hostile value into a metadata field, or a cut, copy or
    insertion anywhere in the text."""
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        metadata = data_lines(text) if text.count(" data\n") else []
        choice = rng.random()
        if metadata and choice < 0.5:
            index = rng.choice(metadata)
            try:
                item = json.loads(lines[index])
            except ValueError:
                continue
            target = item
            while isinstance(target, dict) and target and rng.random() < 0.6:
                key = rng.choice(list(target))
                if not isinstance(target[key], dict):
                    break
                target = target[key]
            if not isinstance(target, dict):
                continue
            key = rng.choice([*target, "extra"]) if target else "extra"
            target[key] = "@@crafted@@"
            value = rng.choice(
                [*HOSTILE_JSON, "null", "true", "[]", "{}", '""', "-1", "0.5", '"x"', "[1, [2]]"]
            )
            lines[index] = comment_json(item).replace(_PLACEHOLDER, value)
            text = "\n".join(lines)
        elif choice < 0.7:
            start = rng.randrange(len(text) + 1)
            text = text[:start] + text[start + rng.randint(1, 80) :]
        elif choice < 0.85:
            start = rng.randrange(len(text) + 1)
            piece = text[rng.randrange(len(text) + 1) :][:120]
            text = text[:start] + piece + text[start:]
        else:
            start = rng.randrange(len(text) + 1)
            insert = rng.choice(["-->", "<!--", "\n", '"', "{", "\\", "\\ud800", "\x00", "é"])
            text = text[:start] + insert + text[start:]
    return text


async def test_mutated_golden_files_import_whole_or_are_refused_leaving_the_store_as_it_was(
    tmp_path: Path,
) -> None:
    rng = random.Random(1403)
    originals = [path.read_text(encoding="utf-8") for path in GOLDEN_FILES]
    refused = 0
    async with SQLiteStore(tmp_path / "fuzz.db") as store:
        for case in range(300):
            mutated = _mutate(rng, rng.choice(originals))
            before = await snapshot(store)
            error: SessionFileError | None = None
            try:
                session = await import_markdown(store, mutated, source=f"case-{case}.md")
            except SessionFileError as raised:
                error = raised
            if error is None:
                assert await session.branches()
            else:
                refused += 1
                assert error.source == f"case-{case}.md"
                assert await snapshot(store) == before, f"case {case} wrote before failing"
    assert refused > 100
    # Whatever was imported reads back: nothing poisoned the database.
    async with SQLiteStore(tmp_path / "fuzz.db") as store:
        for record in await store.list_sessions():
            reopened = await Session.open(store, record.id)
            for ref in await reopened.branches():
                await reopened.path_messages(ref.name)
