"""`read_remote_run`: what a worker finished for a run, read back from JetStream.

A caller that restarted mid-run (the IDE closed, the machine rebooted) reads the run's
finished messages here: each once, in order, whatever the worker published twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ..messages import Message
from .bus_cache import shared_bus
from .protocol import RemoteRunError, decode, run_subject

__all__ = ["RemoteRunRecord", "read_remote_run"]


@dataclass
class RemoteRunRecord:
    """A remote run as JetStream holds it.

    Attributes:
        messages: the finished reply messages, in order.
        status: ``done``, ``error`` or ``cancelled`` once the run ended, else None (running,
            or its worker died before the end).
        error: the worker's one-line error when ``status == "error"``.
        worker: the worker that ran it, when known.
        partial: the message cut short by a cancel, if any.
    """

    messages: list[Message] = field(default_factory=list)
    status: str | None = None
    error: str | None = None
    worker: str | None = None
    partial: Message | None = None


async def read_remote_run(url: str, run_id: str, *, wait: float = 5.0) -> RemoteRunRecord:
    """Read everything JetStream holds for `run_id` (an ordered consumer from the start)."""
    from nats.js.api import DeliverPolicy

    bus = await shared_bus(url)
    record = RemoteRunRecord()
    seen: set[int] = set()
    caught_up = asyncio.Event()

    async def take(msg: Any) -> None:
        data = msg.data
        if data[:1] == b"e":
            end = decode(data[1:], "the end record")
            record.status = str(end.get("status"))
            record.error = end.get("error")
            record.worker = end.get("worker")
        else:
            document = decode(data[1:], "a finished message")
            message = Message.from_data(document["message"])
            index = int(document["index"])
            if document.get("kind") == "partial":
                record.partial = message
            elif index not in seen:
                seen.add(index)
                record.messages.append(message)
        if msg.metadata.num_pending == 0:
            caught_up.set()

    subject = run_subject(run_id, "out")
    info = await bus.js.stream_info("RAMIFY_RUNS", subjects_filter=subject)
    held = (info.state.subjects or {}).get(subject, 0) if info.state else 0
    if not held:
        return record
    sub = await bus.js.subscribe(
        subject, cb=take, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    try:
        await asyncio.wait_for(caught_up.wait(), wait)
    except TimeoutError:
        raise RemoteRunError(
            f"reading run {run_id} back from JetStream took over {wait:g} s"
        ) from None
    finally:
        await sub.unsubscribe()
    return record
