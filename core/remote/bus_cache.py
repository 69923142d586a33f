"""One shared NATS connection per server URL and event loop, for the calling side."""

from __future__ import annotations

import asyncio
import weakref

from .connection import BusConnection, connect_bus, ensure_stream

__all__ = ["close_shared_buses", "shared_bus"]

_buses: dict[tuple[int, str], BusConnection] = {}
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


async def shared_bus(url: str) -> BusConnection:
    """The connection to `url` for this event loop (opened, with the results stream, once)."""
    loop = asyncio.get_running_loop()
    key = (id(loop), url)
    bus = _buses.get(key)
    if bus is not None and bus.loop is loop and not bus.client.is_closed:
        return bus
    lock = _locks.setdefault(loop, {}).setdefault(url, asyncio.Lock())
    async with lock:
        bus = _buses.get(key)
        if bus is None or bus.loop is not loop or bus.client.is_closed:
            bus = await connect_bus(url, name="ramify")
            try:
                await ensure_stream(bus)
            except BaseException:
                await bus.client.close()
                raise
            _buses[key] = bus
        return bus


async def close_shared_buses() -> None:
    """Close this event loop's connections (a process that ends calls it; tests do)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [key for key in _buses if key[0] == loop_id]:
        bus = _buses.pop(key)
        await bus.close()
