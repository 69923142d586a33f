"""Fixtures: a running fake provider, and test keys in the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ramify.core.llm import close_clients
from ramify.core.testing import FakeProvider, fake_provider

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProvider]:
    """A fake provider, with both standard key variables set to test keys."""
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    async with fake_provider("Hello there, friend!") as server:
        yield server
        await close_clients()
