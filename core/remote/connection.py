"""Connecting to NATS: a fast, clear failure when the server is not there; reconnects forever.

nats-py is imported here, inside functions, so ``import ramify.core`` never needs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..redact import redact_url
from .protocol import STREAM, RemoteUnavailableError

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = ["BusConnection", "connect_bus", "ensure_stream"]

logger = logging.getLogger("ramify.remote")

#: How long the first TCP contact may take before the server counts as unreachable.
PROBE_TIMEOUT = 3.0
#: Finished messages are kept this long (seconds) for callers that restart mid-run.
KEEP_RESULTS = 24 * 3600.0
#: A repeat of the same Nats-Msg-Id within this window (seconds) is dropped.
DUPLICATE_WINDOW = 600.0


def _require_nats() -> None:
    try:
        import nats  # noqa: F401
    except ImportError:
        raise RemoteUnavailableError(
            'remote agents need nats-py: pip install "ramify[nats]"'
        ) from None


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    if parts.scheme not in ("nats", "tls"):
        raise RemoteUnavailableError(f"{redact_url(url)}: expected a nats://host:port URL")
    try:
        port = parts.port or 4222
    except ValueError:
        raise RemoteUnavailableError(f"{redact_url(url)}: the port is not a number") from None
    return parts.hostname or "127.0.0.1", port


async def _probe(url: str) -> None:
    host, port = _host_port(url)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), PROBE_TIMEOUT)
    except (OSError, TimeoutError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "no answer"
        raise RemoteUnavailableError(
            f"cannot reach the NATS server at {redact_url(url)} ({reason}); "
            "start it (nats-server -js) or fix the URL"
        ) from None
    writer.close()


class BusConnection:
    """One NATS connection and its JetStream context, with hooks for reconnects and errors.

    Attributes:
        url: the server URL (credentials masked wherever it is shown).
        slow_consumers: how many messages the client dropped for slow subscribers; the first
            on each subject is logged as a warning (nats-py otherwise only calls `error_cb`).
    """

    def __init__(self, url: str, client: Client) -> None:
        self.url = url
        self.client = client
        self.loop = asyncio.get_running_loop()
        self.js = client.jetstream()
        self.slow_consumers = 0
        self._slow_subjects: set[str] = set()
        self.on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self.on_slow_consumer: list[Callable[[str], None]] = []

    @property
    def connected(self) -> bool:
        """Whether the connection is up right now (False while it reconnects)."""
        return bool(self.client.is_connected)

    async def close(self) -> None:
        """Flush what is buffered and close."""
        if not self.client.is_closed:
            try:
                await self.client.drain()
            except Exception:
                await self.client.close()

    async def _reconnected(self) -> None:
        logger.info("reconnected to %s", redact_url(self.url))
        # Run apart: nats-py awaits this callback inside its reconnect task, and a hook may
        # retry JetStream requests for seconds while the server recovers its streams.
        for hook in list(self.on_reconnect):
            task = asyncio.create_task(_run_hook(hook))
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)

    async def _error(self, error: Exception) -> None:
        from nats.errors import SlowConsumerError

        if isinstance(error, SlowConsumerError):
            # nats-py reports every dropped message; warn once per subject, count them all.
            self.slow_consumers += 1
            if error.subject in self._slow_subjects:
                return
            self._slow_subjects.add(error.subject)
            logger.warning(
                "slow consumer on %s: NATS dropped messages (the finished text is still read "
                "from JetStream)",
                error.subject,
            )
            for hook in list(self.on_slow_consumer):
                hook(error.subject)
            return
        logger.debug("NATS client error: %r", error)


async def _run_hook(hook: Callable[[], Awaitable[None]]) -> None:
    try:
        await hook()
    except Exception:
        logger.exception("a reconnect hook failed")


async def connect_bus(url: str, *, name: str = "ramify") -> BusConnection:
    """Connect to the NATS server at `url`; `RemoteUnavailableError` at once if it is not there.

    After the first contact the client reconnects without limit, and resubscribes core
    subscriptions itself; JetStream consumers are recreated by `BusConnection.on_reconnect`.
    """
    _require_nats()
    await _probe(url)
    import nats

    holder: list[BusConnection] = []

    async def reconnected() -> None:
        if holder:
            await holder[0]._reconnected()

    async def error(error: Exception) -> None:
        if holder:
            await holder[0]._error(error)

    options: dict[str, Any] = {
        "name": name,
        "connect_timeout": 3,
        "reconnect_time_wait": 0.25,
        "max_reconnect_attempts": -1,
        "reconnected_cb": reconnected,
        "error_cb": error,
    }
    try:
        client = await asyncio.wait_for(nats.connect(url, **options), PROBE_TIMEOUT * 2)
    except Exception as failure:
        raise RemoteUnavailableError(
            f"cannot connect to the NATS server at {redact_url(url)}: "
            f"{type(failure).__name__}; is it a NATS server?"
        ) from None
    bus = BusConnection(url, client)
    holder.append(bus)
    return bus


async def ensure_stream(bus: BusConnection) -> None:
    """Create the ``RAMIFY_RUNS`` stream if missing (JetStream must be enabled: ``-js``)."""
    from nats.errors import Error as NatsError
    from nats.js.api import StreamConfig
    from nats.js.errors import (
        BadRequestError,
        NoStreamResponseError,
        NotFoundError,
        ServiceUnavailableError,
    )

    try:
        await bus.js.stream_info(STREAM)
        return
    except NotFoundError:
        pass
    except (NoStreamResponseError, ServiceUnavailableError):
        raise RemoteUnavailableError(
            f"the NATS server at {redact_url(bus.url)} has no JetStream; start it with -js"
        ) from None
    except (NatsError, TimeoutError) as error:
        raise RemoteUnavailableError(
            f"the NATS server at {redact_url(bus.url)} did not answer a JetStream request "
            f"({type(error).__name__}); is it overloaded?"
        ) from None
    config = StreamConfig(
        name=STREAM,
        subjects=["ramify.runs.*.out"],
        max_age=KEEP_RESULTS,
        duplicate_window=DUPLICATE_WINDOW,
    )
    try:
        await bus.js.add_stream(config)
    except BadRequestError:
        # Another worker created it at the same moment.
        await bus.js.stream_info(STREAM)
