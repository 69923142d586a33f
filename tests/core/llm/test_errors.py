"""Every provider failure ends as one clear line that never contains the key."""

from __future__ import annotations

import socket

import pytest

from ramify.core import UserMessage
from ramify.core.llm import ProviderError, TokenStream, stream_anthropic, stream_openai
from ramify.core.testing import FakeProvider, Reply

from .conftest import ANTHROPIC_KEY, OPENAI_KEY

pytestmark = pytest.mark.timeout(20)


def _stream(provider: str, base_url: str, **options: object) -> TokenStream:
    messages = [UserMessage("hi")]
    if provider == "openai":
        return stream_openai(messages, model="gpt-x", base_url=f"{base_url}/v1", **options)
    return stream_anthropic(messages, model="claude-x", base_url=base_url, **options)


async def _failure(stream: TokenStream) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await stream.collect()
    error = caught.value
    text = str(error)
    assert "\n" not in text
    assert OPENAI_KEY not in text
    assert ANTHROPIC_KEY not in text
    return error


PROVIDERS = ["openai", "anthropic"]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (401, "auth", "rejected the API key (401); check {env}"),
        (403, "permission", "refused access to model '{model}' (403)"),
        (404, "not_found", "does not know model '{model}' (404)"),
        (429, "rate_limit", "rate limit or quota exceeded (429) after retries"),
        (500, "server", "server error (500)"),
        (503, "server", "server error (503)"),
        (400, "bad_request", "refused the request (400)"),
    ],
)
async def test_http_errors_become_one_line_provider_errors(
    fake: FakeProvider, provider: str, status: int, kind: str, expected: str
) -> None:
    fake.enqueue(Reply(status=status, error_message=f"bad thing with key {OPENAI_KEY}"))
    error = await _failure(_stream(provider, fake.base_url, max_retries=0))
    env = "OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY"
    model = "gpt-x" if provider == "openai" else "claude-x"
    assert error.kind == kind
    assert error.status == status
    assert expected.format(env=env, model=model) in str(error)
    assert str(error).startswith("OpenAI" if provider == "openai" else "Anthropic")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rate_limit_is_reported_after_the_sdk_retries(
    fake: FakeProvider, provider: str
) -> None:
    # retry-after-ms keeps the SDK's back-off at a millisecond.
    limited = Reply(status=429, headers={"retry-after-ms": "1", "retry-after": "0.001"})
    fake.enqueue(limited, limited)
    error = await _failure(_stream(provider, fake.base_url, max_retries=1))
    assert error.kind == "rate_limit"
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("provider", "env"), [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
async def test_missing_key_says_which_variable_to_export(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, provider: str, env: str
) -> None:
    monkeypatch.delenv(env)
    error = await _failure(_stream(provider, fake.base_url))
    assert str(error) == f"{env} is not set; export it or pick the demo model"
    assert error.kind == "missing_key"
    assert fake.requests == []


async def test_key_from_a_configured_variable(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_GATEWAY_KEY", "sk-gateway-key-0000000000")
    stream = stream_openai(
        [UserMessage("hi")], model="m", base_url=fake.openai_base_url, api_key_env="MY_GATEWAY_KEY"
    )
    await stream.collect()
    assert fake.requests[0].headers["authorization"] == "Bearer sk-gateway-key-0000000000"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_dropped_connection_keeps_the_partial_reply(
    fake: FakeProvider, provider: str
) -> None:
    fake.enqueue(Reply("alpha beta gamma delta", cut_after=2))
    error = await _failure(_stream(provider, fake.base_url, max_retries=0))
    assert error.kind == "dropped"
    assert error.partial_text == "alpha beta "
    assert "dropped mid-reply" in str(error)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unreachable_endpoint_is_a_connection_error(
    provider: str, fake: FakeProvider
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await _failure(_stream(provider, f"http://127.0.0.1:{port}", max_retries=0))
    assert error.kind == "connection"
    assert f"127.0.0.1:{port}" in str(error)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("reply", [Reply(hang=True), Reply("a b c", stall_after=1)])
async def test_timeout_is_reported_not_hung(
    fake: FakeProvider, provider: str, reply: Reply
) -> None:
    fake.enqueue(reply)
    error = await _failure(_stream(provider, fake.base_url, max_retries=0, timeout=0.3))
    assert error.kind == "timeout"
    assert "did not answer in time" in str(error)
