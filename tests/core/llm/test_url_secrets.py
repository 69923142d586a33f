"""Credentials in a ``base_url`` never reach an error node, a run record or an export."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ramify.core import Ramify, Session, SQLiteStore, UserMessage
from ramify.core.llm import ProviderError, anthropic_agent, openai_agent, stream_openai
from ramify.core.llm.config import parse_config
from ramify.core.redact import redact_url, redact_urls
from ramify.core.testing import FakeProvider, Reply

pytestmark = pytest.mark.timeout(30)

_SECRETS = ("hunter2-user", "hunter2-pass", "qs-secret-0001", "qs-token-0002")
_QUERY = f"?api_key={_SECRETS[2]}&access_token={_SECRETS[3]}&region=eu"


def _with_user_info(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{_SECRETS[0]}:{_SECRETS[1]}@{parts.netloc}{parts.path}"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("failure", ["dropped", "connection"])
async def test_a_base_url_with_credentials_is_masked_in_error_nodes_runs_and_exports(
    fake: FakeProvider, tmp_path: Path, provider: str, failure: str
) -> None:
    base_url = fake.openai_base_url if provider == "openai" else fake.anthropic_base_url
    if failure == "dropped":
        # The SDKs reach the fake through user info, and name the endpoint when it drops.
        fake.enqueue(Reply("alpha beta gamma", cut_after=1))
        netloc = urlsplit(base_url).netloc
        url = _with_user_info(base_url)
        shown = f"***@{netloc}"
    else:
        # A query in a base_url breaks the SDKs' routes, so these secrets go to a closed port.
        netloc = f"127.0.0.1:{_closed_port()}"
        url = _with_user_info(base_url.replace(urlsplit(base_url).netloc, netloc)) + _QUERY
        shown = f"***@{netloc}"
    chosen = openai_agent if provider == "openai" else anthropic_agent
    agent = chosen.fork(model="m", base_url=url, max_retries=0)
    database = tmp_path / "s.sqlite3"
    async with SQLiteStore(database) as store, Ramify(store=store):
        session = await Session.create(store)
        await session.append(UserMessage("hi"), branch="main")
        failed = session.inquire(agent, branch="main", cache=False, errors_as_messages=True)
        await failed
        await failed.recorded()
        texts = [m.model_dump_json() for _, m in await session.path_messages("main")]
        runs = await session.runs()
        export = await session.export_markdown(scope="tree")
    errors = [run.error or "" for run in runs]
    expected = "dropped mid-reply" if failure == "dropped" else "could not reach"
    assert any(expected in text and shown in text for text in texts), texts
    assert any(expected in error and shown in error for error in errors), errors
    assert shown in export
    if failure == "connection":
        assert any("api_key=***&access_token=***&region=eu" in error for error in errors), errors
    for secret in _SECRETS:
        assert not any(secret in text for text in texts), secret
        assert not any(secret in error for error in errors), secret
        assert secret not in export
        assert secret.encode() not in database.read_bytes()


async def test_an_unreachable_endpoint_with_credentials_is_named_without_them(
    fake: FakeProvider,
) -> None:
    url = _with_user_info(fake.openai_base_url).replace(urlsplit(fake.base_url).netloc, "[::1")
    url += _QUERY
    with pytest.raises(ProviderError) as caught:
        await stream_openai([UserMessage("hi")], model="m", base_url=url, max_retries=0).collect()
    for secret in _SECRETS:
        assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://me:pw@host:8/v1?api_key=k&x=1", "https://***@host:8/v1?api_key=***&x=1"),
        ("https://token@host/v1", "https://***@host/v1"),
        (
            "https://h/p?X-Amz-Signature=abc;model=x&client_secret=s&password=p#key=z",
            "https://h/p?X-Amz-Signature=***;model=x&client_secret=***&password=***#key=***",
        ),
        ("https://h/p?key=&keep=1", "https://h/p?key=&keep=1"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("http://u:p@[::1/v1?token=t", "http://***@[::1/v1?token=***"),
    ],
)
def test_redact_url_masks_user_info_and_secret_parameters(url: str, masked: str) -> None:
    assert redact_url(url) == masked


def test_urls_inside_text_are_masked_and_the_text_kept() -> None:
    text = "could not reach http://u:p@h/x?token=t, nor (https://a:b@c/)."
    assert redact_urls(text) == "could not reach http://***@h/x?token=***, nor (https://***@c/)."


def test_a_provider_config_shows_its_url_masked() -> None:
    config = parse_config(
        '[providers.gw]\nkind = "openai-compatible"\n'
        'base_url = "https://me:pw-123@gw.example/v1?api_key=k-456&region=eu"\n'
    )
    provider = config.providers["gw"]
    assert provider.base_url == "https://me:pw-123@gw.example/v1?api_key=k-456&region=eu"
    for shown in (repr(provider), str(provider), repr(config)):
        assert "pw-123" not in shown
        assert "k-456" not in shown
        assert "https://***@gw.example/v1?api_key=***&region=eu" in shown
