"""`list_workers`: who is serving what on a NATS server right now."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from .connection import connect_bus
from .protocol import PING_SUBJECT, RemoteError, decode

__all__ = ["list_workers"]


async def list_workers(url: str, *, wait: float = 0.5) -> list[dict[str, Any]]:
    """The live workers at `url` (each one's `RemoteWorker.describe()`), sorted by id.

    Every worker answers a ping at once; answers are gathered for `wait` seconds, since how
    many workers exist is not known in advance.
    """
    bus = await connect_bus(url, name="ramify workers")
    answers: list[dict[str, Any]] = []
    try:
        inbox = bus.client.new_inbox()

        async def collect(msg: Any) -> None:
            with contextlib.suppress(RemoteError):
                answers.append(decode(msg.data, "a worker's answer"))

        sub = await bus.client.subscribe(inbox, cb=collect)
        await bus.client.publish(PING_SUBJECT, b"", reply=inbox)
        await bus.client.flush()
        await asyncio.sleep(wait)
        await sub.unsubscribe()
    finally:
        await bus.close()
    return sorted(answers, key=lambda answer: str(answer.get("worker")))
