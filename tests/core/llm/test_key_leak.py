"""API keys never end up in a file Ramify writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ramify.core import UserMessage
from ramify.core.llm import ProviderError, set_setting, stream_anthropic, stream_openai
from ramify.core.testing import FakeProvider, Reply

from .conftest import ANTHROPIC_KEY, OPENAI_KEY

pytestmark = pytest.mark.timeout(30)


async def test_no_file_written_during_a_run_contains_a_key(fake: FakeProvider) -> None:
    home = Path(os.environ["RAMIFY_HOME"])
    config = Path(os.environ["RAMIFY_CONFIG"])
    set_setting("theme", "nord")
    set_setting("keymap.fork", "ctrl+f")
    await stream_openai([UserMessage("hi")], model="m", base_url=fake.openai_base_url).collect()
    await stream_anthropic([UserMessage("hi")], model="m", base_url=fake.base_url).collect()
    fake.enqueue(Reply(status=401, error_message=f"Incorrect API key provided: {OPENAI_KEY}"))
    with pytest.raises(ProviderError) as caught:
        await stream_openai(
            [UserMessage("hi")], model="m", base_url=fake.openai_base_url, max_retries=0
        ).collect()
    assert OPENAI_KEY not in str(caught.value)
    written = _files_with_keys([home, config])
    assert written[config] is False
    assert not any(written.values()), written


def _files_with_keys(roots: list[Path]) -> dict[Path, bool]:
    """Every file under `roots` -> whether it contains a test key."""
    files = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*"))]
    keys = (OPENAI_KEY.encode(), ANTHROPIC_KEY.encode())
    return {p: any(k in p.read_bytes() for k in keys) for p in files if p.is_file()}


async def test_no_session_database_or_log_written_during_agent_runs_contains_a_key(
    fake: FakeProvider,
) -> None:
    import logging

    from ramify.core import Ramify, Session, SQLiteStore
    from ramify.core.llm import openai_agent

    home = Path(os.environ["RAMIFY_HOME"])
    log_handler = logging.FileHandler(home / "ramify.log")
    root = logging.getLogger("ramify")
    root.addHandler(log_handler)
    root.setLevel(logging.DEBUG)
    try:
        gpt = openai_agent.fork(model="m", base_url=fake.openai_base_url, max_retries=0)
        async with SQLiteStore(home / "ramify.sqlite3") as store, Ramify(store=store):
            session = await Session.create(store)
            await session.append(UserMessage("hi"), branch="main")
            await session.inquire(gpt, branch="main")
            fake.enqueue(Reply(status=401, error_message=f"Incorrect API key: {OPENAI_KEY}"))
            failed = session.inquire(gpt, branch="main", cache=False, errors_as_messages=True)
            await failed
            await failed.recorded()
            messages = [str(m) for _, m in await session.path_messages("main")]
    finally:
        root.removeHandler(log_handler)
        log_handler.close()
    assert any("ProviderError" in text for text in messages), messages
    written = _files_with_keys([home])
    assert written, "the run wrote nothing to inspect"
    assert not any(written.values()), written
