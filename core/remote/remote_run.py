"""`RemoteRun`: one attempt of a remote call, from the request to the worker's end record."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from ..agents import InteractionContext
from ..messages import Message
from ..redact import redact_url
from .bus_cache import shared_bus
from .incoming import Incoming
from .protocol import (
    BEAT_INTERVAL,
    PROTOCOL,
    RemoteError,
    RemoteRunError,
    RemoteUnavailableError,
    RemoteVersionError,
    UnknownRemoteAgentError,
    WorkerLostError,
    agent_subject,
    decode,
    encode,
    run_subject,
)

if TYPE_CHECKING:
    from nats.aio.msg import Msg

    from .caller import RemoteTarget
    from .connection import BusConnection

__all__ = ["RemoteRun"]

logger = logging.getLogger("ramify.remote")

#: How long the connection may stay down during a run before the run fails.
DISCONNECT_LIMIT = 60.0
#: After a reconnect, how often and how far apart the results consumer is set up again.
RESUBSCRIBE_ATTEMPTS = 40
RESUBSCRIBE_WAIT = 0.25


class RemoteRun:
    """One attempt of a remote call: subscribe, request, relay, until the end record."""

    def __init__(
        self,
        ctx: InteractionContext,
        remote: RemoteTarget,
        run_id: str,
        messages: list[Message],
        kwargs: dict[str, Any],
    ) -> None:
        self.ctx = ctx
        self.remote = remote
        self.run_id = run_id
        self.messages = messages
        self.kwargs = kwargs
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.incoming: dict[int, Incoming] = {}
        self.finished: set[int] = set()
        self.worker = "?"
        self.deadline = 0.0
        self.seen_seq = 0
        self._subs: list[Any] = []
        self._results: Any = None
        self._closed = False
        self.notice: str | None = None

    async def run(self) -> None:
        from nats.errors import Error as NatsError

        remote = self.remote
        bus = await shared_bus(remote.url)
        client = bus.client
        loop = asyncio.get_running_loop()
        subs = [
            await client.subscribe(
                run_subject(self.run_id, "tokens"),
                cb=self._on_token,
                pending_msgs_limit=remote.token_pending_limit,
                pending_bytes_limit=remote.token_pending_limit * 1024,
            ),
            await client.subscribe(run_subject(self.run_id, "beat"), cb=self._on_beat),
        ]
        self._subs = subs
        try:
            await self._follow_results(bus)
        except (NatsError, TimeoutError) as error:
            for sub in subs:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
            raise RemoteUnavailableError(
                f"the NATS server at {redact_url(remote.url)} did not set up the run's results "
                f"({type(error).__name__}); is it overloaded, or is JetStream off?"
            ) from None
        slow_hook = self._slow_consumer
        bus.on_slow_consumer.append(slow_hook)
        bus.on_reconnect.append(self._reconnected)
        watchdog: asyncio.Task[None] | None = None
        done = False
        try:
            await client.flush()
            await self._request(bus)
            self.deadline = loop.time() + remote.heartbeat_timeout
            watchdog = asyncio.create_task(self._watch(bus))
            await self._relay()
            done = True
        finally:
            if watchdog is not None:
                watchdog.cancel()
            bus.on_slow_consumer.remove(slow_hook)
            bus.on_reconnect.remove(self._reconnected)
            if not done:
                await self._abandon(bus)
            # After a reconnect the results consumer is a new one: end the current.
            self._closed = True
            for sub in [*subs, self._results]:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    async def _follow_results(self, bus: BusConnection) -> None:
        from nats.js.api import DeliverPolicy

        # An ordered consumer: in order, recreated on gaps; from where this attempt last read,
        # so after a reconnect nothing is read twice (and a duplicate would be ignored).
        start = self.seen_seq + 1
        if self.seen_seq:
            from nats.js.api import ConsumerConfig

            sub = await bus.js.subscribe(
                run_subject(self.run_id, "out"),
                cb=self._on_result,
                ordered_consumer=True,
                config=ConsumerConfig(
                    deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start
                ),
            )
        else:
            sub = await bus.js.subscribe(
                run_subject(self.run_id, "out"),
                cb=self._on_result,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.ALL,
            )
        self._results = sub

    async def _reconnected(self) -> None:
        # nats-py resubscribes core subscriptions itself, not JetStream consumers (#504).
        self.deadline = asyncio.get_running_loop().time() + self.remote.heartbeat_timeout
        if self._closed:
            return
        with contextlib.suppress(Exception):
            await self._results.unsubscribe()
        bus = await shared_bus(self.remote.url)
        # A restarted server answers JetStream requests only once it has recovered its
        # streams: try again for a while rather than wait for results that never come.
        for _ in range(RESUBSCRIBE_ATTEMPTS):
            try:
                await self._follow_results(bus)
                if self._closed:  # the run ended while this consumer was being set up
                    with contextlib.suppress(Exception):
                        await self._results.unsubscribe()
                return
            except Exception as error:
                logger.info("run %s: results consumer not back yet: %r", self.run_id, error)
                await asyncio.sleep(RESUBSCRIBE_WAIT)
        self.events.put_nowait(
            ("unavailable", f"the NATS server at {redact_url(bus.url)} lost the run's results")
        )

    async def _request(self, bus: BusConnection) -> None:
        from nats.errors import NoRespondersError
        from nats.errors import TimeoutError as NatsTimeout

        alias = self.ctx.this_agent.alias
        request = {
            "protocol": PROTOCOL,
            "version": self.remote.version,
            "run_id": self.run_id,
            "agent": alias,
            "messages": [message.to_data() for message in self.messages],
            "kwargs": self.kwargs,
        }
        where = redact_url(self.remote.url)
        try:
            reply = await bus.client.request(
                agent_subject(alias), encode(request), timeout=self.remote.accept_timeout
            )
        except NoRespondersError:
            raise UnknownRemoteAgentError(
                f"no worker serves agent {alias!r} at {where}; start one: "
                f"ramify worker --nats {where} FILE.py:{alias}"
            ) from None
        except (NatsTimeout, TimeoutError):
            raise RemoteRunError(
                f"no worker accepted {alias!r} at {where} within "
                f"{self.remote.accept_timeout:g} s; see `ramify workers --nats {where}`"
            ) from None
        answer = decode(reply.data, "the worker's answer")
        if not answer.get("accepted"):
            reason = str(answer.get("reason") or "refused")
            if answer.get("kind") == "version":
                raise RemoteVersionError(reason)
            raise RemoteRunError(reason)
        self.worker = str(answer.get("worker") or "?")

    async def _relay(self) -> None:
        while True:
            kind, value = await self.events.get()
            if kind == "open":
                self._open(value["index"], value.get("fields") or {})
            elif kind == "token":
                index, text = value
                if index not in self.finished:
                    self._open(index, {}).token(text)
            elif kind == "message":
                index, message = value
                if index not in self.finished:
                    self.finished.add(index)
                    self._open(index, {}).finish(message)
            elif kind == "lost":
                error = WorkerLostError(
                    f"worker {self.worker} stopped answering (no heartbeat for "
                    f"{self.remote.heartbeat_timeout:g} s); the run failed, rerun it to retry "
                    "on another worker"
                )
                self._fail_open(error)
                raise error
            elif kind in ("unavailable", "invalid"):
                failure: RemoteError = (
                    RemoteUnavailableError(str(value))
                    if kind == "unavailable"
                    else RemoteRunError(str(value))
                )
                self._fail_open(failure)
                raise failure
            elif kind == "end":
                early = f"worker {self.worker} ended the run before this reply finished"
                self._fail_open(
                    WorkerLostError(early)
                    if value.get("status") == "cancelled"
                    else RemoteRunError(early)
                )
                for item in self.incoming.values():
                    with contextlib.suppress(BaseException):
                        await item.promise
                if value.get("status") == "error":
                    raise RemoteRunError(f"worker {self.worker}: {value.get('error')}")
                if value.get("status") == "cancelled":
                    # This caller did not cancel (it would not be reading): the worker was
                    # stopped, which the retry policy treats like a worker that died.
                    raise WorkerLostError(
                        f"worker {self.worker} was stopped during the run; rerun it to retry "
                        "on another worker"
                    )
                return

    def _open(self, index: int, fields: dict[str, Any]) -> Incoming:
        # Replies are numbered from 0; one whose open event NATS dropped is opened (without
        # its fields) before any later one, so the replies keep the worker's order.
        for earlier in range(len(self.incoming), index):
            if earlier not in self.incoming:
                self._open(earlier, {})
        item = self.incoming.get(index)
        if item is None:
            item = Incoming(fields, self.worker, self.ctx.errors_as_messages)
            item.promise.notice = self.notice
            self.incoming[index] = item
            self.ctx.mark_first_token()
            self.ctx.reply(item.promise)
        return item

    def _fail_open(self, error: BaseException) -> None:
        for index, item in self.incoming.items():
            if index not in self.finished:
                self.finished.add(index)
                item.finish(error)

    async def _abandon(self, bus: BusConnection) -> None:
        # Cancelled (Esc) or failed: tell the worker to stop, and cancel the local replies
        # still streaming so each keeps its partial text (``cancelled=True``).
        with contextlib.suppress(Exception):
            await bus.client.publish(run_subject(self.run_id, "cancel"), b"")
            await asyncio.wait_for(bus.client.flush(), 1.0)
        for index, item in self.incoming.items():
            if index not in self.finished:
                item.promise.cancel()

    async def _on_token(self, msg: Msg) -> None:
        self._alive()
        data = msg.data
        if data[:1] == b"o":
            with contextlib.suppress(RemoteError):
                self.events.put_nowait(("open", decode(data[1:], "an open event")))
            return
        head, _, token = data.partition(b":")
        with contextlib.suppress(ValueError):
            self.events.put_nowait(("token", (int(head[1:]), token.decode(errors="replace"))))

    async def _on_beat(self, msg: Msg) -> None:
        self._alive()

    async def _on_result(self, msg: Msg) -> None:
        self._alive()
        with contextlib.suppress(Exception):
            self.seen_seq = max(self.seen_seq, msg.metadata.sequence.stream)
        data = msg.data
        try:
            if data[:1] == b"e":
                self.events.put_nowait(("end", decode(data[1:], "the end record")))
                return
            document = decode(data[1:], "a finished message")
            if document.get("kind") != "message":
                return
            message = _valid_message(document.get("message"))
            self.events.put_nowait(("message", (int(document["index"]), message)))
        except Exception as error:
            self.events.put_nowait(
                ("invalid", f"worker {self.worker} sent an invalid result: {error}")
            )

    def _queued(self) -> bool:
        return any(sub.pending_msgs for sub in self._subs)

    def _alive(self) -> None:
        self.deadline = asyncio.get_running_loop().time() + self.remote.heartbeat_timeout

    def _slow_consumer(self, subject: str) -> None:
        if subject == run_subject(self.run_id, "tokens"):
            logger.warning(
                "run %s: this caller read tokens too slowly and NATS dropped some; the "
                "finished replies are complete",
                self.run_id,
            )
            self.notice = (
                f"Slow consumer: NATS dropped tokens streamed by worker {self.worker}; "
                "the finished reply is complete."
            )
            for item in self.incoming.values():
                item.promise.notice = self.notice

    async def _watch(self, bus: BusConnection) -> None:
        loop = asyncio.get_running_loop()
        down_since: float | None = None
        wake = loop.time()
        while True:
            now = loop.time()
            if now - wake > BEAT_INTERVAL:
                # This event loop was blocked (a busy UI, a paused process): the beats that
                # came meanwhile are still unread in the socket, so silence proves nothing.
                self._alive()
            if not bus.connected:
                down_since = now if down_since is None else down_since
                if now - down_since > DISCONNECT_LIMIT:
                    self.events.put_nowait(
                        ("unavailable", f"lost the NATS server at {redact_url(bus.url)}")
                    )
                    return
                self.deadline = now + self.remote.heartbeat_timeout
            else:
                down_since = None
                if now >= self.deadline and self._queued():
                    # Beats already received but not handed to callbacks yet (this event
                    # loop was busy): the worker is alive.
                    self._alive()
                elif now >= self.deadline:
                    self.events.put_nowait(("lost", None))
                    return
            pause = min(BEAT_INTERVAL, max(self.deadline - now, 0.05))
            wake = now + pause
            await asyncio.sleep(pause)


def _valid_message(data: Any) -> Message:
    if not isinstance(data, dict):
        raise RemoteRunError("a finished message is not an object")
    try:
        return Message.from_data(data)
    except Exception as error:
        text = str(error).strip().splitlines()
        raise RemoteRunError(
            f"a finished message failed validation: {text[0] if text else error!r}"
        ) from None
