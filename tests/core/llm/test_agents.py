"""The LLM agents through the real SDK clients against the loopback fake provider."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from pathlib import Path

import pytest

from ramify.core import (
    AssistantMessage,
    ErrorMessage,
    MemoryStore,
    Message,
    SystemMessage,
    UserMessage,
)
from ramify.core.agents import Agent, Ramify
from ramify.core.llm import (
    DEMO_ALIAS,
    ProviderError,
    agent_for_model,
    anthropic_agent,
    default_agent_name,
    demo_agent,
    demo_reply,
    openai_agent,
)
from ramify.core.llm.roles import PLACEHOLDER_USER_TURN
from ramify.core.promising import MessagePromise
from ramify.core.runs import RunStatus
from ramify.core.testing import FakeProvider, Reply

from .conftest import ANTHROPIC_KEY, OPENAI_KEY

pytestmark = pytest.mark.timeout(30)

PROVIDERS = ("openai", "anthropic")


def _agent(provider: str, fake: FakeProvider, **kwargs: object) -> Agent:
    if provider == "openai":
        return openai_agent.fork(model="gpt-test", base_url=fake.openai_base_url, **kwargs)
    return anthropic_agent.fork(model="claude-test", base_url=fake.anthropic_base_url, **kwargs)


def _write_config(text: str) -> None:
    Path(os.environ["RAMIFY_CONFIG"]).write_text(text, encoding="utf-8")


async def test_openai_agent_streams_token_by_token_and_records_usage(fake: FakeProvider) -> None:
    fake.enqueue(Reply("Hi there friend", input_tokens=11, output_tokens=3))
    store = MemoryStore()
    async with Ramify(store=store):
        gpt = openai_agent.fork(model="gpt-test", base_url=fake.openai_base_url, temperature=0.1)
        replies = gpt.inquire(
            "Hello", system="You are a helpful assistant.", max_tokens=50, temperature=0.7
        )
        promise = await anext(aiter(replies))
        # Fields set at construction: readable before any token arrives.
        assert promise.known_beforehand["model"] == "gpt-test"
        assert promise.known_beforehand["agent_alias"] == "OPENAI_AGENT"
        assert promise.known_beforehand["role"] == "assistant"
        assert promise.message_class is AssistantMessage
        assert [token async for token in promise] == ["Hi ", "there ", "friend"]
        message = await promise
        await replies
    assert isinstance(message, AssistantMessage)
    assert message.text == "Hi there friend"
    assert (message.model, message.agent_alias, message.role) == (
        "gpt-test",
        "OPENAI_AGENT",
        "assistant",
    )
    assert (message.input_tokens, message.output_tokens, message.finish_reason) == (11, 3, "stop")
    request = fake.requests[0].json
    assert request["messages"] == [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello"},
    ]
    assert (request["model"], request["max_tokens"], request["temperature"]) == (
        "gpt-test",
        50,
        0.7,  # call time wins over the fork's 0.1
    )
    [run] = await store.list_runs()
    assert run.agent == "OPENAI_AGENT"
    assert run.status == RunStatus.DONE
    assert (run.usage.input_tokens, run.usage.output_tokens, run.usage.cost) == (11, 3, None)
    assert run.first_token_at is not None


async def test_anthropic_agent_streams_and_maps_roles(fake: FakeProvider) -> None:
    fake.enqueue(Reply("Bonjour mon ami", input_tokens=7, finish_reason="max_tokens"))
    store = MemoryStore()
    history = [
        SystemMessage("Answer in French."),
        AssistantMessage("earlier answer"),
        UserMessage("one"),
        Message("two"),
        ErrorMessage(text="boom", error_type="RuntimeError"),
    ]
    async with Ramify(store=store):
        claude = anthropic_agent.fork(model="claude-test", base_url=fake.anthropic_base_url)
        replies = claude.inquire(history, system="Be brief.", temperature=0.5)
        promise = await anext(aiter(replies))
        assert promise.known_beforehand["model"] == "claude-test"
        assert promise.agent_alias == "ANTHROPIC_AGENT"
        assert [token async for token in promise] == ["Bonjour ", "mon ", "ami"]
        message = await promise
    assert isinstance(message, AssistantMessage)
    assert (message.input_tokens, message.output_tokens, message.finish_reason) == (
        7,
        3,
        "max_tokens",
    )
    request = fake.requests[0]
    assert ANTHROPIC_KEY in (
        request.headers.get("x-api-key", "") + request.headers.get("authorization", "")
    )
    assert request.json["system"] == "Be brief.\n\nAnswer in French."
    assert request.json["messages"] == [
        {"role": "user", "content": PLACEHOLDER_USER_TURN},
        {"role": "assistant", "content": "earlier answer"},
        {"role": "user", "content": "one\n\ntwo"},
    ]
    assert request.json["temperature"] == 0.5
    [run] = await store.list_runs()
    assert (run.usage.input_tokens, run.usage.output_tokens) == (7, 3)


async def test_openai_role_mapping_and_plain_sdk_params(fake: FakeProvider) -> None:
    history = [
        UserMessage("one"),
        AssistantMessage("two"),
        Message("three"),
        ErrorMessage(text="boom", error_type="RuntimeError"),
    ]
    async with Ramify():
        gpt = _agent("openai", fake, stop=["END", "STOP"], logit_bias={"42": -5}, top_p=0.9)
        await gpt.inquire(history, system="Be brief.")
    request = fake.requests[0].json
    assert request["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": "three"},
    ]
    # Frozen kwargs (tuples, FrozenMappings) reach the SDK as plain lists and dicts.
    assert request["stop"] == ["END", "STOP"]
    assert request["logit_bias"] == {"42": -5}
    assert request["top_p"] == 0.9


async def test_openai_compatible_model_from_config(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    _write_config(
        'default_agent = "local-llama"\n'
        "[providers.local]\n"
        'kind = "openai-compatible"\n'
        f'base_url = "{fake.openai_base_url}"\n'
        "[models.local-llama]\n"
        'provider = "local"\n'
        'name = "llama3"\n'
        "input_price = 1.0\n"
        "output_price = 2.0\n"
    )
    fake.enqueue(Reply("local answer", input_tokens=1000, output_tokens=500))
    store = MemoryStore()
    assert default_agent_name() == "local-llama"
    llama = agent_for_model(None)
    assert llama.alias == "local-llama"
    async with Ramify(store=store):
        replies = llama.inquire("hi there")
        promise = await anext(aiter(replies))
        assert promise.known_beforehand["model"] == "llama3"
        assert promise.agent_alias == "local-llama"
        message = await promise
    assert message.text == "local answer"
    assert message.hashed_fields()["model"] == "llama3"
    assert message.hashed_fields()["cost"] == pytest.approx(0.002)
    request = fake.requests[0]
    assert request.json["model"] == "llama3"
    assert request.json["messages"] == [{"role": "user", "content": "hi there"}]
    [run] = await store.list_runs()
    assert run.agent == "local-llama"
    assert (run.usage.input_tokens, run.usage.output_tokens) == (1000, 500)
    assert run.usage.cost == pytest.approx(0.002)


async def test_prices_apply_to_a_forked_agent_by_model_name(fake: FakeProvider) -> None:
    _write_config(
        '[models.mini]\nprovider = "openai"\nname = "gpt-test"\n'
        "input_price = 0.5\noutput_price = 1.5\n"
    )
    fake.enqueue(Reply("a b", input_tokens=2_000_000, output_tokens=2))
    async with Ramify():
        message = (await _agent("openai", fake).inquire("x"))[0]
    assert message.hashed_fields()["cost"] == pytest.approx(1.000003)


async def test_broken_config_does_not_break_the_reply(fake: FakeProvider) -> None:
    _write_config("this is = = not toml\n")
    store = MemoryStore()
    async with Ramify(store=store):
        [message] = await _agent("openai", fake).inquire("hello")
    assert isinstance(message, AssistantMessage)
    assert message.text == "Hello there, friend!"
    assert "cost" not in message.hashed_fields()
    [run] = await store.list_runs()
    assert run.usage.cost is None
    assert run.usage.output_tokens == 3


def test_default_agent_is_demo_without_config_or_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_agent_name() == DEMO_ALIAS
    assert agent_for_model(None) is demo_agent
    assert agent_for_model("ramify-demo") is demo_agent
    _write_config('default_agent = "mini"\n[models.mini]\nprovider = "openai"\nname = "gpt-x"\n')
    assert default_agent_name() == DEMO_ALIAS  # OPENAI_API_KEY is not set
    assert agent_for_model(None) is demo_agent
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    assert default_agent_name() == "mini"
    mini = agent_for_model(None)
    assert mini.alias == "mini"
    assert mini.params["model"] == "gpt-x"
    assert mini.params["api_key_env"] == "OPENAI_API_KEY"
    assert OPENAI_KEY not in repr(mini.params)


def test_agent_for_bare_model_names() -> None:
    claude = agent_for_model("claude-3-5-haiku-latest")
    assert claude.function == anthropic_agent.function
    assert claude.params["model"] == "claude-3-5-haiku-latest"
    gpt = agent_for_model("gpt-4o-mini")
    assert gpt.function == openai_agent.function
    with pytest.raises(ValueError, match="unknown model 'mystery'"):
        agent_for_model("mystery")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# (reply to enqueue, or a marker; expected words in the error text)
ERROR_CASES = {
    "missing_key": (None, "is not set; export it or pick the demo model"),
    "auth": (Reply(status=401), "rejected the API key (401)"),
    "permission": (Reply(status=403), "refused access to model"),
    "not_found": (Reply(status=404), "does not know model"),
    "rate_limit": (Reply(status=429), "rate limit or quota exceeded (429)"),
    "server": (
        Reply(status=500, error_message=f"boom {OPENAI_KEY} {ANTHROPIC_KEY}"),
        "server error (500)",
    ),
    "dropped": (Reply("alpha beta gamma delta", cut_after=2), "dropped mid-reply"),
    "timeout": (Reply(hang=True), "did not answer in time"),
    "connection": (None, "could not reach"),
}


def _error_agent(
    provider: str, fake: FakeProvider, kind: str, monkeypatch: pytest.MonkeyPatch
) -> Agent:
    reply, _ = ERROR_CASES[kind]
    if reply is not None:
        fake.enqueue(reply)
    if kind == "missing_key":
        monkeypatch.delenv("OPENAI_API_KEY")
        monkeypatch.delenv("ANTHROPIC_API_KEY")
    options: dict[str, object] = {"max_retries": 0}
    if kind == "timeout":
        options["timeout"] = 0.3
    if kind == "connection":
        model = "gpt-test" if provider == "openai" else "claude-test"
        base = f"http://127.0.0.1:{_free_port()}"
        target = openai_agent if provider == "openai" else anthropic_agent
        return target.fork(
            model=model, base_url=base + ("/v1" if provider == "openai" else ""), **options
        )
    return _agent(provider, fake, **options)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", list(ERROR_CASES))
async def test_errors_end_the_reply_as_error_messages(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, provider: str, kind: str
) -> None:
    expected = ERROR_CASES[kind][1]
    llm = _error_agent(provider, fake, kind, monkeypatch)
    async with Ramify():
        replies = llm.inquire("hello", errors_as_messages=True)
        async with asyncio.timeout(20):
            promise = await anext(aiter(replies))
            tokens = [token async for token in promise]
            [message] = await replies
    assert isinstance(message, ErrorMessage)
    expected_type = "MissingKeyError" if kind == "missing_key" else "ProviderError"
    assert message.error_type == expected_type
    assert expected in message.error_text
    assert "\n" not in message.text
    assert message.text == f"{expected_type}: {message.error_text}"
    for key in (OPENAI_KEY, ANTHROPIC_KEY):
        assert key not in message.text
        assert key not in message.canonical_document().__repr__()
    if kind == "dropped":
        assert tokens == ["alpha ", "beta "]
        assert message.partial_text == "alpha beta "
    else:
        assert message.partial_text == ""


async def _drain(promise: MessagePromise, tokens: list[str]) -> None:
    async for token in promise:
        tokens.append(token)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", ["missing_key", "auth", "server", "dropped"])
async def test_errors_raise_provider_error_without_errors_as_messages(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, provider: str, kind: str
) -> None:
    expected = ERROR_CASES[kind][1]
    llm = _error_agent(provider, fake, kind, monkeypatch)
    store = MemoryStore()
    async with Ramify(store=store):
        replies = llm.inquire("hello")
        async with asyncio.timeout(20):
            promise = await anext(aiter(replies))
            tokens: list[str] = []
            with pytest.raises(ProviderError, match=re.escape(expected)) as raised:
                await _drain(promise, tokens)
            with pytest.raises(ProviderError):
                await promise
            with pytest.raises(ProviderError):
                await replies
    assert OPENAI_KEY not in str(raised.value)
    assert ANTHROPIC_KEY not in str(raised.value)
    if kind == "dropped":
        assert tokens == ["alpha ", "beta "]
        assert raised.value.partial_text == "alpha beta "
    [run] = await store.list_runs()
    assert run.status == RunStatus.DONE  # the failure lives in the message, not the run


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_cancelling_the_reply_closes_the_stream_and_keeps_the_partial(
    fake: FakeProvider, provider: str
) -> None:
    fake.enqueue(Reply("one two three four five", stall_after=2))
    store = MemoryStore()
    async with Ramify(store=store):
        replies = _agent(provider, fake).inquire("hello")
        async with asyncio.timeout(10):
            promise = await anext(aiter(replies))
            tokens = aiter(promise)
            assert [await anext(tokens), await anext(tokens)] == ["one ", "two "]
            assert replies.cancel()
            await fake.wait_for_disconnects(1)
        with pytest.raises(asyncio.CancelledError):
            await anext(tokens)
        partial = promise.partial()
        assert partial.text == "one two "
        assert partial.hashed_fields()["cancelled"] is True
        assert partial.hashed_fields()["agent_alias"] in ("OPENAI_AGENT", "ANTHROPIC_AGENT")
    [run] = await store.list_runs()
    assert run.status == RunStatus.CANCELLED


async def test_demo_agent_is_deterministic_through_the_agent() -> None:
    store = MemoryStore()
    async with Ramify(store=store):
        demo = demo_agent.fork(tokens_per_second=0)
        first = [await anext(aiter(demo.inquire("Hello demo")))]
        assert first[0].known_beforehand["model"] == "ramify-demo"
        assert first[0].agent_alias == "DEMO_AGENT"
        tokens = [token async for token in first[0]]
        [again] = await demo.inquire("Hello demo")
        [other] = await demo.inquire("Something else")
    message = await first[0]
    assert isinstance(message, AssistantMessage)
    assert len(tokens) > 10
    assert message.text == "".join(tokens) == demo_reply([Message("Hello demo")])
    assert "> Hello demo" in message.text
    assert again == message
    assert other.text != message.text
    assert (message.model, message.finish_reason) == ("ramify-demo", "stop")
    assert message.output_tokens == len(tokens)
    assert message.input_tokens == 2
    runs = await store.list_runs()
    assert [run.usage.output_tokens for run in runs][:2] == [len(tokens), len(tokens)]


async def test_demo_agent_ignores_provider_parameters() -> None:
    async with Ramify():
        demo = demo_agent.fork(tokens_per_second=0, temperature=0.3, system="x")
        [message] = await demo.inquire("hi", max_tokens=10)
    assert "> hi" in message.text
