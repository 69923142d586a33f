"""`TokenStream`: what every provider returns, an async iterator of `str` tokens whose
`StreamResult` fills in as the reply streams."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

__all__ = ["StreamResult", "StreamedToolCall", "TokenStream"]


@dataclass
class StreamedToolCall:
    """A tool call as it streams in: ``arguments`` grows delta by delta."""

    id: str
    name: str
    arguments: str = ""


@dataclass
class StreamResult:
    """What is known about a reply; complete once the stream has ended.

    ``model`` and ``provider`` are known before the first token. ``text`` grows token by
    token, so after a cancellation or an error it holds the partial reply.
    """

    model: str
    provider: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    done: bool = False
    cancelled: bool = False
    #: The tool calls the model asked for, in order, each growing as its deltas arrive.
    tool_calls: list[StreamedToolCall] = field(default_factory=list)
    _parts: list[str] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        """Everything streamed so far."""
        return "".join(self._parts)


class TokenStream:
    """An async iterator of reply tokens; `result` describes the reply.

    Iterate it once. Errors surface from iteration as `ProviderError`. Cancelling the
    consuming task, `aclose()`, or leaving ``async with stream:`` closes the HTTP stream.
    """

    def __init__(self, result: StreamResult, tokens: AsyncGenerator[str, None]) -> None:
        self.result = result
        self._tokens = tokens

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        try:
            token = await self._tokens.__anext__()
        except StopAsyncIteration:
            self.result.done = True
            raise
        except BaseException as error:
            if not isinstance(error, Exception):
                self.result.cancelled = True
            raise
        self.result._parts.append(token)
        return token

    async def aclose(self) -> None:
        """Stop the reply early and release its connection; `result.text` keeps the part."""
        if not self.result.done:
            self.result.cancelled = True
        await self._tokens.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def collect(self) -> str:
        """Consume the rest of the stream and return the whole text."""
        async for _ in self:
            pass
        return self.result.text
