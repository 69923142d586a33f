"""PostgreSQL's word index finds what `search_terms` finds: the same nodes as the memory store,
for arbitrary text and queries (letters of several scripts, digits, punctuation, case)."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramify.core import MemoryStore, Store
from ramify.core.store.postgres import PostgresStore

from .helpers import add

_WORDS = ["alpha", "Beta", "gamma42", "δέλτα", "ÉCOLE", "école", "x", "7", "naïve", "日本語"]
_GLUE = [" ", "  ", "-", "_", ", ", ".", "\n", "'", "/", "(", "!"]
_text = st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_GLUE)), max_size=8).map(
    lambda parts: "".join(word + glue for word, glue in parts)
)
_counter = itertools.count()


async def _found(store: Store, texts: list[str], query: str, session_id: str) -> list[str]:
    for text in texts:
        await add(store, text, session_id=session_id)
    return [
        (await store.get_message(node.message)).text
        for node in await store.search(query, session_id=session_id)
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(_text, min_size=1, max_size=5), query=_text)
def test_postgres_search_finds_what_the_memory_store_finds(
    postgres_dsn: str, texts: list[str], query: str
) -> None:
    # One database for every example; each example is a session of its own.
    session_id = f"s{next(_counter)}"

    async def both() -> tuple[list[str], list[str]]:
        async with MemoryStore() as memory, PostgresStore(postgres_dsn) as postgres:
            return (
                await _found(memory, texts, query, session_id),
                await _found(postgres, texts, query, session_id),
            )

    expected, found = asyncio.run(both())
    assert sorted(found) == sorted(expected)
