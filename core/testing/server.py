"""The loopback fake provider: a scriptable, recording stand-in for OpenAI and Anthropic.

    async with fake_provider("Hello there!") as fake:
        client = openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="test")
        ...
        assert fake.requests[0].json["model"] == "gpt-4o-mini"

Replies are taken from the queue filled by `FakeProvider.enqueue`, then from the default.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._http import Connection, HTTPRequest
from ._wire import PROTOCOLS, ScriptedToolCall, WireProtocol, count_words

__all__ = [
    "FakeProvider",
    "RecordedRequest",
    "Reply",
    "ReplySource",
    "ScriptedToolCall",
    "fake_provider",
]


@dataclass(frozen=True)
class Reply:
    """What the fake sends back for one request.

    Args:
        text: the reply text.
        tokens: how to split `text` into streamed tokens; words with their trailing space
            by default.
        token_delay: seconds between tokens (0: as fast as the socket allows).
        first_byte_delay: seconds to wait before sending anything (latency).
        input_tokens / output_tokens: the usage to report; by default a word count of the
            request's messages and the number of tokens.
        finish_reason: the protocol's own value ("stop", "end_turn", "length",
            "max_tokens", "incomplete"...); the protocol's normal end by default.
        model: the model to report; the request's ``model`` by default.
        status: an HTTP error status (401, 404, 429, 500...) sent with a JSON error body
            shaped like the real provider's; 200 means a normal reply.
        error_message: the message inside that error body.
        headers: extra response headers (e.g. ``retry-after``).
        cut_after: drop the connection after this many tokens, mid-stream.
        stall_after: after this many tokens, send nothing more until the client hangs up.
        hang: send nothing at all until the client hangs up (for timeout tests).
        tool_calls: tool calls streamed after the text, in the protocol's own shape (the
            finish reason then defaults to the protocol's tool-use value).
    """

    text: str = "Hello from the fake provider."
    tokens: Sequence[str] | None = None
    token_delay: float = 0.0
    first_byte_delay: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    model: str | None = None
    status: int = 200
    error_message: str = "the fake provider was told to fail"
    headers: Mapping[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    stall_after: int | None = None
    hang: bool = False
    tool_calls: Sequence[ScriptedToolCall] = ()

    def split(self) -> list[str]:
        """The tokens this reply streams."""
        if self.tokens is not None:
            return list(self.tokens)
        return re.findall(r"\s*\S+\s*", self.text) or ([self.text] if self.text else [])


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received: method, path, lower-cased headers and the JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The body's ``messages`` (Chat Completions, Anthropic), or ``[]``."""
        if isinstance(self.json, dict) and isinstance(self.json.get("messages"), list):
            return list(self.json["messages"])
        return []


#: A reply, its text, or a function choosing one from the request.
ReplySource = Reply | str | Callable[[RecordedRequest], "Reply | str"]


def _texts(body: Any) -> list[str]:
    """Every string inside a request body's messages/system/input, for the usage estimate."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, list):
        return [text for item in body for text in _texts(item)]
    if isinstance(body, dict):
        return [text for key, item in body.items() if key != "model" for text in _texts(item)]
    return []


class FakeProvider:
    """A running fake provider. Create it with `fake_provider()`.

    Attributes:
        requests: every request received, in order.
        disconnects: how many times a client hung up before a response ended.
    """

    def __init__(self, default: ReplySource) -> None:
        self.default: ReplySource = default
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self._queue: deque[ReplySource] = deque()
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the Anthropic SDK's ``base_url``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def anthropic_base_url(self) -> str:
        """The Anthropic SDK's ``base_url`` (it appends ``/v1/messages`` itself)."""
        return self.base_url

    @property
    def openai_base_url(self) -> str:
        """The OpenAI SDK's ``base_url``, ``http://127.0.0.1:PORT/v1``."""
        return f"{self.base_url}/v1"

    def enqueue(self, *replies: ReplySource) -> None:
        """Answer the next requests with `replies`, in order, then fall back to the default."""
        self._queue.extend(replies)

    async def wait_for_requests(self, count: int = 1) -> list[RecordedRequest]:
        """Wait until at least `count` requests have arrived; return them all."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.requests) >= count)
        return list(self.requests)

    async def wait_for_disconnects(self, count: int = 1) -> None:
        """Wait until clients have hung up mid-response at least `count` times."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.disconnects >= count)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        self._server = await asyncio.start_server(self._accept, host="127.0.0.1", port=0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def aclose(self) -> None:
        """Stop listening and end every open connection; nothing is left running."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        connection = Connection(reader, writer)
        try:
            while (request := await connection.read_request()) is not None:
                if not await self._respond(connection, request):
                    break
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            # Only `aclose` cancels these tasks; asyncio's server callback would log a
            # cancelled connection task as an error, so it ends normally instead.
            pass
        finally:
            self._connections.discard(task)
            await connection.close()

    def _choose(self, recorded: RecordedRequest) -> Reply:
        source = self._queue.popleft() if self._queue else self.default
        if callable(source):
            source = source(recorded)
        return Reply(text=source) if isinstance(source, str) else source

    async def _respond(self, connection: Connection, request: HTTPRequest) -> bool:
        """Answer one request; False when the connection must not be reused."""
        body = request.json()
        recorded = RecordedRequest(request.method, request.path, request.headers, body)
        self.requests.append(recorded)
        await self._notify()
        body = body if isinstance(body, dict) else {}
        protocol_class = PROTOCOLS.get(request.path)
        if protocol_class is None or request.method != "POST":
            error = {"error": {"message": f"no route {request.method} {request.path}"}}
            await connection.send_json(404, error, {})
            return True
        reply = self._choose(recorded)
        tokens = reply.split()
        protocol = protocol_class(
            body,
            reply.model or str(body.get("model", "fake-model")),
            reply.input_tokens if reply.input_tokens is not None else count_words(_texts(body)),
            reply.output_tokens if reply.output_tokens is not None else len(tokens),
        )
        # The client hanging up is watched for during the whole answer, so a cancelled
        # stream is seen (and counted) even while the fake is pacing, stalling or hanging.
        send = asyncio.ensure_future(self._send(connection, reply, protocol, tokens, body))
        hangup = asyncio.ensure_future(connection.wait_for_eof())
        try:
            await asyncio.wait({send, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (send, hangup):
                task.cancel()
            await asyncio.gather(send, hangup, return_exceptions=True)
        if not send.done() or send.cancelled() or send.exception() is not None:
            self.disconnects += 1
            await self._notify()
            return False
        return bool(send.result())

    async def _send(
        self,
        connection: Connection,
        reply: Reply,
        protocol: WireProtocol,
        tokens: list[str],
        body: dict[str, Any],
    ) -> bool:
        if reply.first_byte_delay:
            await asyncio.sleep(reply.first_byte_delay)
        if reply.hang:
            await asyncio.Event().wait()
        headers = dict(reply.headers)
        if reply.status != 200:
            document = protocol.error(reply.status, reply.error_message)
            await connection.send_json(reply.status, document, headers)
            return True
        default_finish = (
            protocol.tool_finish_reason if reply.tool_calls else protocol.default_finish_reason
        )
        finish = reply.finish_reason or default_finish
        if not body.get("stream"):
            await connection.send_json(200, protocol.complete(reply.text, finish), headers)
            return True
        await connection.start_stream(headers)
        for event in protocol.prelude():
            await connection.send_chunk(event)
        for index, token in enumerate(tokens):
            if index == reply.cut_after:
                connection.abort()
                return False
            if index == reply.stall_after:
                await asyncio.Event().wait()
            if index and reply.token_delay:
                await asyncio.sleep(reply.token_delay)
            await connection.send_chunk(protocol.token(token))
        if reply.cut_after is not None and reply.cut_after >= len(tokens):
            connection.abort()
            return False
        if reply.stall_after is not None and reply.stall_after >= len(tokens):
            await asyncio.Event().wait()
        for event in protocol.epilogue("".join(tokens), finish, reply.tool_calls):
            await connection.send_chunk(event)
        await connection.end_stream()
        return True


@contextlib.asynccontextmanager
async def fake_provider(
    default: ReplySource = "Hello from the fake provider.",
) -> AsyncIterator[FakeProvider]:
    """Run a `FakeProvider` on 127.0.0.1 for the duration of the ``async with`` block.

    Args:
        default: the reply to requests when nothing is queued: a `Reply`, its text, or a
            function of the `RecordedRequest` returning either.
    """
    fake = FakeProvider(default)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.aclose()
