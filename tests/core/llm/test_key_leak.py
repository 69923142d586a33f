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


# Keys of other shapes than "sk-...": masking must follow the configured values, not a shape.
_ODD_KEYS = [
    "abc123XYZ789def456ghi",
    "sk-ant-api03-Zq9_8Yx-7Wv6Ut5Sr4Qp3On2",
    r"k3y.*+?[](){}|^$\d-end",
]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("key", _ODD_KEYS, ids=["plain", "anthropic-shaped", "regex-chars"])
async def test_a_key_of_any_shape_echoed_by_the_server_is_masked(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, provider: str, key: str
) -> None:
    env = "OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY"
    monkeypatch.setenv(env, key)
    fake.enqueue(Reply(status=400, error_message=f"the key {key} is not allowed here"))
    stream = (
        stream_openai([UserMessage("hi")], model="m", base_url=fake.openai_base_url, max_retries=0)
        if provider == "openai"
        else stream_anthropic([UserMessage("hi")], model="m", base_url=fake.base_url, max_retries=0)
    )
    with pytest.raises(ProviderError) as caught:
        await stream.collect()
    text = str(caught.value)
    assert key not in text
    assert "the key *** is not allowed here" in text


async def test_another_providers_key_in_an_error_text_is_masked(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    anthropic_key = _ODD_KEYS[0]
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_key)
    fake.enqueue(Reply(status=500, error_message=f"proxy saw {anthropic_key}"))
    with pytest.raises(ProviderError) as caught:
        await stream_openai(
            [UserMessage("hi")], model="m", base_url=fake.openai_base_url, max_retries=0
        ).collect()
    assert anthropic_key not in str(caught.value)
    assert "proxy saw ***" in str(caught.value)


async def test_a_key_read_from_a_custom_variable_is_masked_in_later_errors(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "custom-0123456789-KEY"
    monkeypatch.setenv("MY_GATEWAY_TOKEN", key)
    await stream_openai(
        [UserMessage("hi")],
        model="m",
        base_url=fake.openai_base_url,
        api_key_env="MY_GATEWAY_TOKEN",
    ).collect()
    # Another provider's call, with another key, quotes the gateway's key back.
    fake.enqueue(Reply(status=400, error_message=f"gateway echo {key}"))
    with pytest.raises(ProviderError) as caught:
        await stream_anthropic(
            [UserMessage("hi")], model="m", base_url=fake.base_url, max_retries=0
        ).collect()
    assert key not in str(caught.value)
    assert "gateway echo ***" in str(caught.value)
