"""The offline demo model: deterministic markdown replies, streamed at a realistic pace.

It needs no key and no network, so a fresh machine shows Ramify working. The reply is
chosen from the hash of the conversation and the attempt (the same input always gives the
same reply, and each rerun, a new attempt, another one) and quotes the last user message
verbatim, so a reader can follow the flow.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncGenerator, Sequence

from ..messages import Message
from .roles import DefaultRole, resolve_role
from .stream import StreamResult, TokenStream

__all__ = ["DEMO_MODEL", "demo_reply", "demo_tokens", "stream_demo"]

DEMO_MODEL = "ramify-demo"

_TOPICS = (
    ("Branching conversations", "fork", "every branch keeps its own history"),
    ("Streaming replies", "stream", "tokens arrive one by one"),
    ("Immutable messages", "message", "a message never changes once hashed"),
    ("Agents as functions", "agent", "an agent is an async function over messages"),
    ("Replaying a session", "replay", "a rerun makes sibling replies"),
)
_POINTS = (
    "Press the fork key to try another answer without losing this one.",
    "Every node hashes its parent, so one hash names the whole conversation.",
    "The demo model needs no API key and works offline.",
    "Set `OPENAI_API_KEY` or `ANTHROPIC_API_KEY` to talk to a real model.",
    "Replies are cached by input, so asking again is instant.",
    "Sessions export to markdown with one command.",
)
_TOKEN = re.compile(r"\s*\S+|\s+")


def demo_tokens(text: str) -> list[str]:
    """Split `text` into word-sized tokens (leading whitespace attached), losslessly."""
    return _TOKEN.findall(text)


_MARKDOWN_SIGNS = re.compile(r"[\\`*_<>\[\]#|~&!]|^\s*([-+=]|\d+[.)])")


def _quote(text: str) -> str:
    """`text` verbatim as a markdown block: a blockquote when Markdown would leave it as it
    is, else a text fence (so `2*3*4` or `<div>` is not shown as emphasis or swallowed)."""
    if "\n" not in text and not _MARKDOWN_SIGNS.search(text):
        return f"> {text}"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def demo_reply(
    messages: Sequence[Message], *, default_role: DefaultRole = "user", attempt: int = 0
) -> str:
    """The full markdown reply the demo model gives to `messages` (deterministic).

    `attempt` (the run's `InteractionContext.attempt`: 0, or N for the Nth rerun) gives
    another reply to the same messages, so a rerun offline shows a sibling.
    """
    said = ""
    digest = hashlib.sha256()
    if attempt:
        digest.update(f"attempt\0{attempt}\0".encode())
    for message in messages:
        role = resolve_role(message, default_role)
        digest.update(f"{role}\0{message.text}\0".encode())
        if role == "user":
            said = message.text
    seed = digest.digest()
    title, word, fact = _TOPICS[seed[0] % len(_TOPICS)]
    points = [_POINTS[(seed[1] + step * (1 + seed[2] % 5)) % len(_POINTS)] for step in range(3)]
    quote = _quote(said) if said else "> (nothing yet)"
    bullets = "\n".join(f"- {point}" for point in dict.fromkeys(points))
    # Named in the text too: the hash alone may pick the same topic and points again.
    take = f"*Take {attempt + 1}.* " if attempt else ""
    return (
        f"## {title}\n\n"
        f"{take}"
        f"You said:\n\n{quote}\n\n"
        f"This is Ramify's offline demo model, so the answer is canned, but the flow is "
        f"real: {fact}, and this reply streamed in token by token.\n\n"
        f"{bullets}\n\n"
        "```python\n"
        f"async def {word}_example(ctx):\n"
        f'    reply = await ctx.inquire("{title.lower()}")\n'
        "    return reply\n"
        "```\n"
    )


def _count(messages: Sequence[Message]) -> int:
    return sum(len(demo_tokens(message.text)) for message in messages)


def stream_demo(
    messages: Sequence[Message],
    *,
    tokens_per_second: float = 40.0,
    default_role: DefaultRole = "user",
    model: str = DEMO_MODEL,
    attempt: int = 0,
) -> TokenStream:
    """Stream `demo_reply(messages, attempt=attempt)` at `tokens_per_second` (0: as fast as
    possible).

    Usage is reported like a provider's: input tokens counted over the messages, output
    tokens as streamed, finish reason ``"stop"``.
    """
    result = StreamResult(model=model, provider="demo")
    reply = demo_reply(messages, default_role=default_role, attempt=attempt)
    return TokenStream(result, _tokens(result, reply, _count(messages), tokens_per_second))


async def _tokens(
    result: StreamResult, reply: str, input_tokens: int, tokens_per_second: float
) -> AsyncGenerator[str, None]:
    result.input_tokens = input_tokens
    delay = 1.0 / tokens_per_second if tokens_per_second > 0 else 0.0
    for count, token in enumerate(demo_tokens(reply), start=1):
        # Sleeping even for 0 s lets the consumer and the UI run between tokens.
        await asyncio.sleep(delay if count > 1 else 0)
        result.output_tokens = count
        yield token
    result.finish_reason = "stop"
