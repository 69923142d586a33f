"""Fuzz: whatever text or bytes arrive, the importer answers with a session or with
`SessionFileError`, and a refused file leaves the store unchanged."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramify.core import MemoryStore, Session
from ramify.core.sessionfile import SessionFileError, import_markdown
from ramify.core.sessionfile.syntax import comment_json

from .conftest import SESSIONS
from .helpers import data_lines, snapshot

GOLDEN = (SESSIONS / "branched.tree.md").read_text(encoding="utf-8")
SMALL = (SESSIONS / "linear.md").read_text(encoding="utf-8")


async def _import(data: str | bytes) -> None:
    async with MemoryStore() as store:
        before = await snapshot(store)
        refused: SessionFileError | None = None
        try:
            session = await import_markdown(store, data, source="fuzz.md")
        except SessionFileError as error:
            refused = error
        if refused is None:
            assert await session.branches()
        else:
            assert refused.source == "fuzz.md"
            assert await snapshot(store) == before


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_arbitrary_text_or_bytes_only_ever_raise_session_file_error(data: str | bytes) -> None:
    asyncio.run(_import(data))


@FUZZ
@given(
    body=st.text(max_size=200),
    prefix=st.sampled_from(
        ["", "# user\n", "<!-- ramify-session format=1 marker=ramify:00000000 -->\n"]
    ),
)
def test_markdown_like_text_only_ever_raises_session_file_error(body: str, prefix: str) -> None:
    asyncio.run(_import(prefix + body))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real export with a few random cuts, insertions and replacements."""
    text = draw(st.sampled_from([GOLDEN, SMALL]))
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 80)))
        insert = draw(
            st.one_of(
                st.text(max_size=20),
                st.sampled_from(["-->", "<!--", "\n", '"', "{", "}", "\\", "0" * 64, "null"]),
            )
        )
        text = text[:start] + insert + text[end:]
    return text


@FUZZ
@given(text=mutated())
def test_damaged_exports_only_ever_raise_session_file_error(text: str) -> None:
    asyncio.run(_import(text))


def test_the_unchanged_exports_import() -> None:
    async def check() -> None:
        async with MemoryStore() as store:
            for text in (GOLDEN, SMALL):
                assert await (await Session.import_markdown(store, text)).branches()

    asyncio.run(check())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@FUZZ
@given(line=st.integers(0, 10**6), key=st.text(max_size=12), value=json_values, data=st.data())
def test_metadata_with_wrong_types_only_ever_raises_session_file_error(
    line: int, key: str, value: object, data: st.DataObject
) -> None:
    lines = GOLDEN.split("\n")
    index = data_lines(GOLDEN)[line % len(data_lines(GOLDEN))]
    item = json.loads(lines[index])
    target = item
    if "message" in item and data.draw(st.booleans()):
        target = item["message"]
    elif "run" in item and data.draw(st.booleans()):
        target = item["run"]
    elif "session" in item and data.draw(st.booleans()):
        target = item["session"]
    keys = [*target, key]
    target[data.draw(st.sampled_from(keys))] = value
    lines[index] = comment_json(item)
    asyncio.run(_import("\n".join(lines)))
