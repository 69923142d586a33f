"""The web server of `ramify serve`: textual-serve's `Server`, adjusted (see `RamifyServer`).

Imported only when serving, once `serve.py` knows the `web` extra is installed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from textual_serve.app_service import AppService
from textual_serve.server import Server

from ramify.tui.serve import request_refusal, url_host
from ramify.tui.serve_token import TOKEN_VARIABLE, cookie_name, token_verdict

TAB_QUIT_TIMEOUT = 20.0
"""Seconds a stopping server gives its tabs' apps to record their runs before killing them."""

log = logging.getLogger("textual-serve")

TOKEN_REFUSAL = (
    f"this Ramify server needs its token ({TOKEN_VARIABLE}): open /?token=THE-TOKEN once\n"
)


class RamifyServer(Server):
    """textual-serve's `Server` on a socket already bound, with plain logs (its own rich
    tracebacks print local variables, and those can hold the environment and its keys), the
    request checks of `request_refusal`, and tabs that quit cleanly when the server stops."""

    def __init__(
        self, command: str, listener: socket.socket, *, public: bool, token: str | None = None
    ) -> None:
        host, port = listener.getsockname()[:2]
        url = f"http://{url_host(host)}:{port}"
        super().__init__(command, host=host, port=port, title="Ramify", public_url=url)
        self.listener = listener
        self.public = public
        self.token = token
        self.tabs: set[AppService] = set()

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # The page tells the browser where the websocket is. The host it used to reach this
        # page is the one that works from where it is (a server on 0.0.0.0 would otherwise
        # send every browser to ws://0.0.0.0). The page is built without a pause, so no
        # other request sees this value.
        self.public_url = f"http://{request.host}"
        response: web.StreamResponse = await super().handle_index(request)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        # textual-serve's own handler, which also keeps each tab's service in `tabs`,
        # so a stopping server can let every tab's app quit before it closes.
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _size(request.query.get("width"), 80)
        height = _size(request.query.get("height"), 24)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=_closer(websocket),
                download_manager=self.download_manager,
                debug=self.debug,
            )
            self.tabs.add(service)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.error("a tab ended with an error: %s", error)
        finally:
            if service is not None:
                await service.stop()
                # Reaped here, while the loop runs: a process reaped after the loop closed
                # makes asyncio log a warning about it.
                if service._process is not None:
                    await _wait_or_kill([service._process], TAB_QUIT_TIMEOUT)
                self.tabs.discard(service)
        return websocket

    async def on_shutdown(self, app: web.Application) -> None:
        # Ask every tab's app to quit (it cancels and records its runs, as for Ctrl+Q)
        # and wait for the processes, before the server's loop closes under them.
        services = list(self.tabs)
        await asyncio.gather(*(service.stop() for service in services))
        processes = [s._process for s in services if s._process is not None]
        await _wait_or_kill(processes, TAB_QUIT_TIMEOUT)

    def initialize_logging(self) -> None:
        logging.basicConfig(level="INFO", format="textual-serve: %(message)s")
        # One line per request would bury the messages that matter.
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        print(f"Serving Ramify on {self.public_url} (Ctrl+C stops)", flush=True)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        public, token, cookie = self.public, self.token, cookie_name(self.port)

        @web.middleware
        async def check_request(request: web.Request, handler: Handler) -> web.StreamResponse:
            refusal = request_refusal(request.host, request.path, request.headers, public)
            if refusal is not None:
                raise web.HTTPForbidden(text=refusal + "\n")
            if token is not None:
                verdict = token_verdict(token, cookie, request.query, request.cookies)
                if verdict == "refuse":
                    raise web.HTTPForbidden(text=TOKEN_REFUSAL)
                if verdict == "set":
                    found = web.HTTPFound("/")
                    found.set_cookie(cookie, token, httponly=True, samesite="Strict", path="/")
                    raise found
            return await handler(request)

        app.middlewares.append(check_request)
        return app

    def serve(self, debug: bool = False) -> None:
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.add_signal_handler(signal.SIGINT, self.request_exit)
        loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        web.run_app(
            self._make_app(),
            sock=self.listener,
            handle_signals=False,
            loop=loop,
            print=None,
        )


def _size(text: str | None, default: int) -> int:
    try:
        return max(1, min(int(text or default), 1000))
    except ValueError:
        return default


def _closer(websocket: web.WebSocketResponse) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        await websocket.close()

    return close


async def _wait_or_kill(processes: list[asyncio.subprocess.Process], limit: float) -> None:
    """Wait for `processes` to end; kill the ones still running after `limit` seconds."""
    if not processes:
        return
    waits = [asyncio.ensure_future(process.wait()) for process in processes]
    _, pending = await asyncio.wait(waits, timeout=limit)
    for process in processes:
        if process.returncode is None:
            process.kill()
    if pending:
        await asyncio.wait(pending)
