"""A minimal HTTP/1.1 connection: enough of the protocol for the SDKs' httpx2 clients.

Requests are read with ``Content-Length`` bodies (the SDKs never send chunked requests);
responses are either a fixed JSON body or a chunked stream. Keep-alive is honoured, so one
SDK client reuses one connection across calls, as it would with a real provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Connection", "HTTPRequest"]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Overloaded",
}


@dataclass(frozen=True)
class HTTPRequest:
    """One parsed request: method, path (without query), lower-cased headers, raw body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


class Connection:
    """A buffered reader and a writer for one client socket.

    The read buffer is ours rather than the stream's, so `wait_for_eof` can watch for the
    client hanging up while a response streams, without losing bytes it may read.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._buffer = bytearray()
        self._eof = False

    async def _fill(self) -> bool:
        data = await self._reader.read(65536)
        if not data:
            self._eof = True
            return False
        self._buffer.extend(data)
        return True

    async def read_request(self) -> HTTPRequest | None:
        """The next request, or None when the client closed the connection between requests."""
        while b"\r\n\r\n" not in self._buffer:
            if self._eof or not await self._fill():
                return None
        end = self._buffer.index(b"\r\n\r\n")
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        request_line, *header_lines = head.split("\r\n")
        method, target, _version = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(self._buffer) < length:
            if not await self._fill():
                return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return HTTPRequest(method, target.split("?", 1)[0], headers, body)

    async def wait_for_eof(self) -> None:
        """Return once the client has closed its side of the connection."""
        while not self._eof:
            await self._fill()

    def _head(self, status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send_json(self, status: int, document: Any, headers: dict[str, str]) -> None:
        """A complete response with a JSON body."""
        body = json.dumps(document).encode()
        all_headers = {
            "content-type": "application/json",
            "content-length": str(len(body)),
            **headers,
        }
        self._writer.write(self._head(status, all_headers) + body)
        await self._writer.drain()

    async def start_stream(self, headers: dict[str, str]) -> None:
        """The head of a ``200`` chunked ``text/event-stream`` response."""
        all_headers = {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
            **headers,
        }
        self._writer.write(self._head(200, all_headers))
        await self._writer.drain()

    async def send_chunk(self, data: bytes) -> None:
        """One chunk of a streamed body."""
        self._writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await self._writer.drain()

    async def end_stream(self) -> None:
        """The terminating zero-length chunk."""
        self._writer.write(b"0\r\n\r\n")
        await self._writer.drain()

    def abort(self) -> None:
        """Drop the connection at once, as a crashed server or a broken network would."""
        self._writer.transport.abort()

    async def close(self) -> None:
        """Close the connection politely."""
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
