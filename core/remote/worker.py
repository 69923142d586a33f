"""`RemoteWorker`: serves agents to callers over NATS, in a queue group with its peers.

A worker is stateless: each request carries the run id, the input messages and the call's
kwargs; the worker runs the agent in its own `Ramify` runtime (errors become messages), streams
tokens on the run's core subject, and publishes each finished message to JetStream with a
``Nats-Msg-Id``, so a repeat after a reconnect is dropped. The caller's store stays the truth.

Workflow tasks: `tasks.workflow_agents(workflow)` makes one agent per task
(``workflow/state/task``), which a worker serves like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..agents import Agent
from ..messages import Message
from ..promising import MessagePromise
from .connection import BusConnection, connect_bus, ensure_stream
from .protocol import (
    BEAT_INTERVAL,
    PING_SUBJECT,
    PROTOCOL,
    QUEUE_GROUP,
    RemoteError,
    agent_subject,
    decode,
    encode,
    json_ready,
    message_id,
    ramify_version,
    run_subject,
)

if TYPE_CHECKING:
    from nats.aio.msg import Msg

__all__ = ["RemoteWorker"]

logger = logging.getLogger("ramify.remote")

#: Seconds between attempts to publish a finished message while the server is away.
REPUBLISH_WAIT = 0.25


def new_worker_id() -> str:
    """``host-pid-xxxx``: readable in `ramify workers` and pane headers, unique on the bus."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"


class RemoteWorker:
    """Serve `agents` (by alias) on the NATS server at a URL until stopped.

    Args:
        agents: the agents to serve; callers name them by alias.
        worker_id: the name shown to callers (default ``host-pid-xxxx``).
        version: the Ramify version this worker reports and requires of callers.
    """

    def __init__(
        self,
        agents: Sequence[Agent],
        *,
        worker_id: str | None = None,
        version: str | None = None,
    ) -> None:
        self.agents = {agent.alias: agent for agent in agents}
        self.worker_id = worker_id or new_worker_id()
        self.version = version or ramify_version()
        self.bus: BusConnection | None = None
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._cancel_subs: dict[str, Any] = {}
        self._context = contextvars.copy_context()
        self._stopped = asyncio.Event()

    async def start(self, url: str) -> None:
        """Connect, make sure the results stream exists, and subscribe; ready on return."""
        self._context = contextvars.copy_context()
        bus = await connect_bus(url, name=f"ramify-worker {self.worker_id}")
        self.bus = bus
        try:
            await ensure_stream(bus)
            for alias in self.agents:
                await bus.client.subscribe(
                    agent_subject(alias), queue=QUEUE_GROUP, cb=self._on_request
                )
            await bus.client.subscribe(PING_SUBJECT, cb=self._on_ping)
            await bus.client.flush()
        except BaseException:
            await bus.client.close()
            raise

    async def serve_forever(self) -> None:
        """Wait until `stop()` has finished (a signal handler usually calls it)."""
        await self._stopped.wait()

    async def stop(self) -> None:
        """Cancel the running calls (each publishes its partial and its end), then close."""
        for task in list(self._runs.values()):
            task.cancel()
        if self._runs:
            await asyncio.gather(*self._runs.values(), return_exceptions=True)
        if self.bus is not None:
            await self.bus.close()
        self._stopped.set()

    @property
    def running(self) -> int:
        """How many calls this worker is running now."""
        return len(self._runs)

    def describe(self) -> dict[str, Any]:
        """What `ramify workers` shows of this worker."""
        return {
            "worker": self.worker_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "agents": sorted(self.agents),
            "version": self.version,
            "protocol": PROTOCOL,
            "running": self.running,
        }

    async def _on_ping(self, msg: Msg) -> None:
        if msg.reply and self.bus is not None:
            await self.bus.client.publish(msg.reply, encode(self.describe()))

    async def _refuse(self, msg: Msg, reason: str, kind: str = "refused") -> None:
        logger.warning("refused a run request: %s", reason)
        if msg.reply and self.bus is not None:
            document = {"accepted": False, "kind": kind, "reason": reason}
            await self.bus.client.publish(msg.reply, encode(document))

    async def _on_request(self, msg: Msg) -> None:
        if not msg.reply:
            return  # not a request: nobody to accept it to
        try:
            request = decode(msg.data, "the run request")
        except RemoteError as error:
            await self._refuse(msg, str(error))
            return
        protocol, version = request.get("protocol"), request.get("version")
        if protocol != PROTOCOL or version != self.version:
            await self._refuse(
                msg,
                f"worker {self.worker_id} runs Ramify {self.version} (protocol {PROTOCOL}), "
                f"the caller {version} (protocol {protocol}); run the same version on both",
                kind="version",
            )
            return
        alias, run_id = request.get("agent"), request.get("run_id")
        agent = self.agents.get(alias) if isinstance(alias, str) else None
        if agent is None or not isinstance(run_id, str) or not run_id:
            await self._refuse(msg, f"worker {self.worker_id} does not serve {alias!r}")
            return
        try:
            messages = [Message.from_data(item) for item in request.get("messages") or ()]
            kwargs = request.get("kwargs") or {}
            if not isinstance(kwargs, dict):
                raise TypeError("kwargs must be a JSON object")
        except Exception as error:
            await self._refuse(
                msg, f"the input messages failed validation: {_first_line(error)}", "invalid"
            )
            return
        if run_id in self._runs:
            await self._refuse(msg, f"run {run_id} is already running on {self.worker_id}")
            return
        assert self.bus is not None
        client = self.bus.client
        started: list[asyncio.Task[None]] = []

        async def cancel(_: Msg) -> None:
            for task in started:
                task.cancel()

        # Subscribed before the run starts (its end unsubscribes) and before the accept is
        # sent (one connection keeps the order), so a caller cancelling the moment it is
        # accepted still reaches the run.
        self._cancel_subs[run_id] = await client.subscribe(run_subject(run_id, "cancel"), cb=cancel)
        task = asyncio.get_running_loop().create_task(
            self._run(run_id, agent, messages, kwargs), context=self._context.copy()
        )
        started.append(task)
        self._runs[run_id] = task
        task.add_done_callback(lambda _: self._runs.pop(run_id, None))
        accepted = {"accepted": True, "worker": self.worker_id, "version": self.version}
        await client.publish(msg.reply, encode(accepted))

    async def _run(
        self, run_id: str, agent: Agent, messages: list[Message], kwargs: dict[str, Any]
    ) -> None:
        bus = self.bus
        assert bus is not None
        client = bus.client
        tokens_subject = run_subject(run_id, "tokens")
        beats = asyncio.create_task(self._beat(run_id))
        status, error_text, index = "done", None, 0
        current: MessagePromise | None = None
        replies = agent.inquire(messages, **kwargs)
        try:
            async for promise in replies:
                current = promise
                opening = {
                    "index": index,
                    "fields": json_ready(dict(promise.known_beforehand), "a reply field"),
                }
                await client.publish(tokens_subject, b"o" + encode(opening))
                prefix = f"t{index}:".encode()
                async for token in promise:
                    await client.publish(tokens_subject, prefix + token.encode())
                message = await promise
                await self._publish(run_id, index, "message", message)
                index += 1
                current = None
        except asyncio.CancelledError:
            status = "cancelled"
            replies.cancel()
            if current is not None:
                await self._publish(run_id, index, "partial", current.partial())
        except Exception as error:
            status, error_text = "error", f"{type(error).__name__}: {_first_line(error)}"
        finally:
            beats.cancel()
            cancel_sub = self._cancel_subs.pop(run_id, None)
            if cancel_sub is not None:
                with contextlib.suppress(Exception):
                    await cancel_sub.unsubscribe()
        end = {"status": status, "error": error_text, "messages": index, "worker": self.worker_id}
        await self._publish_record(run_id, f"{run_id}:end", b"e" + encode(end))

    async def _publish(self, run_id: str, index: int, kind: str, message: Message) -> None:
        document = {"index": index, "kind": kind, "message": message.to_data()}
        await self._publish_record(
            run_id, message_id(run_id, index, message.hash_key), b"m" + encode(document)
        )

    async def _publish_record(self, run_id: str, msg_id: str, payload: bytes) -> None:
        # Retried until the server takes it: across a server restart the client reconnects,
        # and the Nats-Msg-Id makes a retry of a publish that did land a no-op.
        assert self.bus is not None
        subject = run_subject(run_id, "out")
        while True:
            try:
                await self.bus.js.publish(
                    subject, payload, timeout=2.0, headers={"Nats-Msg-Id": msg_id}
                )
                return
            except Exception as error:
                if self.bus.client.is_closed:
                    logger.error("lost a result of run %s: the connection closed", run_id)
                    return
                logger.info("publishing a result of run %s again: %r", run_id, error)
                await asyncio.sleep(REPUBLISH_WAIT)

    async def _beat(self, run_id: str) -> None:
        assert self.bus is not None
        subject = run_subject(run_id, "beat")
        while True:
            with contextlib.suppress(Exception):
                await self.bus.client.publish(subject, self.worker_id.encode())
            await asyncio.sleep(BEAT_INTERVAL)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
