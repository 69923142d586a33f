"""ramify.core.testing: test agents offline against a loopback fake provider.

`fake_provider()` runs an in-process HTTP server on 127.0.0.1 that speaks OpenAI Chat
Completions, OpenAI Responses and Anthropic Messages (streamed and not), scripted with
`Reply` objects (tool calls included: `ScriptedToolCall`, streamed as each protocol's
deltas), and records every request it receives. Point the real SDK clients at
``fake.openai_base_url`` / ``fake.anthropic_base_url``.
"""

from .server import (
    FakeProvider,
    RecordedRequest,
    Reply,
    ReplySource,
    ScriptedToolCall,
    fake_provider,
)

__all__ = [
    "FakeProvider",
    "RecordedRequest",
    "Reply",
    "ReplySource",
    "ScriptedToolCall",
    "fake_provider",
]
