"""The offline demo model: deterministic, quotes the user, reports usage."""

from __future__ import annotations

import pytest

from ramify.core import AssistantMessage, Message, UserMessage
from ramify.core.llm import DEMO_MODEL, demo_reply, stream_demo

pytestmark = pytest.mark.timeout(20)


async def test_demo_is_deterministic_for_the_same_input() -> None:
    messages = [UserMessage("What is a fork?")]
    first = stream_demo(messages, tokens_per_second=0)
    second = stream_demo(list(messages), tokens_per_second=0)
    assert [t async for t in first] == [t async for t in second]
    assert first.result.text == demo_reply(messages)


def test_demo_reply_depends_on_the_input() -> None:
    replies = {demo_reply([UserMessage(f"question {n}")]) for n in range(10)}
    assert len(replies) == 10


async def test_each_rerun_attempt_gets_its_own_reply_and_each_is_repeatable() -> None:
    messages = [UserMessage("tell me about rerun")]
    replies = [demo_reply(messages, attempt=attempt) for attempt in range(5)]
    assert len(set(replies)) == 5
    assert replies[0] == demo_reply(messages)
    assert "Take 3." in replies[2]
    assert "> tell me about rerun" in replies[2]
    streamed = stream_demo(messages, tokens_per_second=0, attempt=2)
    assert "".join([token async for token in streamed]) == replies[2]


@pytest.mark.parametrize(
    "said", ["Tell me about `forks` and *branches*", "line one\nline two\n```code```"]
)
def test_demo_quotes_the_last_user_message_verbatim(said: str) -> None:
    reply = demo_reply([UserMessage("first"), AssistantMessage("ok"), Message(said)])
    assert said in reply
    assert "first" not in reply.split("You said:")[1].split("\n\n")[1]


@pytest.mark.parametrize(
    "said", ["What is 2*3*4?", "keep <div> here", "# not a heading", "- no list"]
)
def test_demo_quotes_markdown_signs_in_a_text_fence(said: str) -> None:
    """A one-line quote with Markdown signs is fenced, so the reply shows it as typed."""
    reply = demo_reply([UserMessage(said)])
    assert f"```text\n{said}\n```" in reply
    assert f"> {said}" not in reply


def test_demo_reply_is_realistic_markdown() -> None:
    reply = demo_reply([UserMessage("hi")])
    assert reply.startswith("## ")
    assert "\n- " in reply
    assert "```python\n" in reply


async def test_demo_reports_usage_like_a_provider() -> None:
    stream = stream_demo([UserMessage("one two three")], tokens_per_second=0)
    tokens = [t async for t in stream]
    result = stream.result
    assert result.model == DEMO_MODEL
    assert (result.input_tokens, result.output_tokens) == (3, len(tokens))
    assert result.finish_reason == "stop"
    assert result.done
