"""`follow_remote_run`: a reopened caller takes in a still-running remote run as it finishes.

`resync_remote_runs` records what a worker finished while the caller was away and reports the
runs still running. Following one of those records each further finished message the moment
JetStream has it, and the run's status from the end record, so nobody has to reopen the
session again. Tokens of the reply in progress are not relayed (they are core NATS messages
sent before this caller came back); its text lands whole when the worker finishes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..messages import Message
from .bus_cache import shared_bus
from .protocol import decode, run_subject
from .recovery import RunWriter

if TYPE_CHECKING:
    from ..runs import Run
    from ..session import Session
    from ..tree import Node

__all__ = ["follow_remote_run"]


async def follow_remote_run(
    session: Session,
    run: Run,
    url: str,
    *,
    heartbeat_timeout: float = 3.0,
    on_node: Callable[[Node], None] | None = None,
) -> list[Node]:
    """Record remote `run`'s finished messages as they come, until its worker ends it.

    `on_node` is told of each node as it is written (the IDE refreshes its view on it).

    Returns the nodes written. Stops early, leaving the run as it is (interrupted), when its
    worker sends neither a heartbeat nor a result for `heartbeat_timeout` seconds (it died).
    """
    from nats.js.api import DeliverPolicy

    bus = await shared_bus(url)
    events: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def on_result(msg: Any) -> None:
        events.put_nowait(msg.data)

    async def on_beat(_: Any) -> None:
        events.put_nowait(None)

    subs = [await bus.client.subscribe(run_subject(run.id, "beat"), cb=on_beat)]
    subs.append(
        await bus.js.subscribe(
            run_subject(run.id, "out"),
            cb=on_result,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
    )
    writer = await RunWriter.open(session, run)
    recorded = len(run.output_nodes)
    seen: set[int] = set()
    added: list[Node] = []
    try:
        while True:
            try:
                data = await asyncio.wait_for(events.get(), heartbeat_timeout)
            except TimeoutError:
                return added
            if data is None:  # a heartbeat: the worker is still at it
                continue
            if data[:1] == b"e":
                end = decode(data[1:], "the end record")
                writer.end(str(end.get("status")), end.get("error"))
                return added
            document = decode(data[1:], "a finished message")
            index = int(document["index"])
            if document.get("kind") != "message" or index in seen:
                continue
            seen.add(index)
            if index >= recorded:  # the replies before were recorded before the restart
                node = await writer.add(Message.from_data(document["message"]))
                added.append(node)
                if on_node is not None:
                    on_node(node)
    finally:
        await session.save_run(run)
        for sub in subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
