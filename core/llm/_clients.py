"""SDK clients, created on first use and cached per event loop and (base_url, key, options).

The SDKs are imported here, inside functions, so that importing `ramify.core.llm` costs
nothing; they load when a provider is first called. Clients hold connection pools bound to
the loop that opened them, hence one cache per loop.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from openai import AsyncOpenAI

__all__ = ["anthropic_client", "call_kwargs", "close_clients", "openai_client"]

_ClientKey = tuple[str, str | None, str, float | None, int | None]
_caches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_ClientKey, Any]] = (
    weakref.WeakKeyDictionary()
)


def _cache() -> dict[_ClientKey, Any]:
    return _caches.setdefault(asyncio.get_running_loop(), {})


def _options(timeout: float | None, max_retries: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if timeout is not None:
        options["timeout"] = timeout
    if max_retries is not None:
        options["max_retries"] = max_retries
    return options


def openai_client(
    base_url: str | None, key: str, timeout: float | None, max_retries: int | None
) -> AsyncOpenAI:
    """The cached `openai.AsyncOpenAI` for these settings."""
    cache_key: _ClientKey = ("openai", base_url, key, timeout, max_retries)
    cache = _cache()
    if cache_key not in cache:
        from openai import AsyncOpenAI

        cache[cache_key] = AsyncOpenAI(
            api_key=key, base_url=base_url, **_options(timeout, max_retries)
        )
    client: AsyncOpenAI = cache[cache_key]
    return client


def anthropic_client(
    base_url: str | None, key: str, timeout: float | None, max_retries: int | None
) -> AsyncAnthropic:
    """The cached `anthropic.AsyncAnthropic` for these settings."""
    cache_key: _ClientKey = ("anthropic", base_url, key, timeout, max_retries)
    cache = _cache()
    if cache_key not in cache:
        from anthropic import AsyncAnthropic

        cache[cache_key] = AsyncAnthropic(
            api_key=key, base_url=base_url, **_options(timeout, max_retries)
        )
    client: AsyncAnthropic = cache[cache_key]
    return client


async def close_clients() -> None:
    """Close the clients cached for the running loop (at shutdown, or between tests)."""
    cache = _caches.pop(asyncio.get_running_loop(), {})
    for client in cache.values():
        await client.close()


def call_kwargs(method: Any, request: dict[str, Any]) -> dict[str, Any]:
    """`request` as keyword arguments for the SDK `method`.

    Parameters the installed SDK does not declare (``temperature`` and ``top_k`` are gone
    from anthropic 2.x's signature, and newer API fields lag behind older SDKs) travel in
    ``extra_body``, so they still reach the API exactly as given.
    """
    known = _parameters(method)
    kwargs = {name: value for name, value in request.items() if name in known}
    extra = {name: value for name, value in request.items() if name not in known}
    if extra:
        kwargs["extra_body"] = {**(kwargs.get("extra_body") or {}), **extra}
    return kwargs


def _parameters(method: Any) -> frozenset[str]:
    function = getattr(method, "__func__", method)
    if function not in _signatures:
        _signatures[function] = frozenset(inspect.signature(function).parameters)
    return _signatures[function]


_signatures: dict[Any, frozenset[str]] = {}
