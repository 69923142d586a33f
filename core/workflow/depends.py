"""FastAPI-style dependency injection for workflow tasks: `Depends(factory, *args, **kwargs)`.

A dependency is resolved once per workflow run and shared by every task that asks for the
same factory with the same arguments (unlike Germinate, which keyed by factory alone, so two
channels on different subjects came back as one object). Generator factories, sync or async,
are set up on first use and torn down when the run ends, however it ends.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Hashable
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any

__all__ = ["CURRENT_SESSION", "DependencyScope", "Depends", "dependency_parameters"]

CURRENT_SESSION: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "ramify_workflow_session", default=None
)
"""The session of the run whose scope is making a dependency (see `builtins`)."""


class Depends:
    """A parameter default that asks the run for ``factory(*args, **kwargs)``."""

    __slots__ = ("args", "factory", "kwargs")

    def __init__(self, factory: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        if not callable(factory):
            raise TypeError(f"Depends() needs a callable, got {factory!r}")
        self.factory = factory
        self.args = args
        self.kwargs = kwargs

    def cache_key(self) -> Hashable:
        """Factory and arguments; unhashable arguments fall back to this very `Depends`."""
        key = (self.factory, self.args, tuple(sorted(self.kwargs.items())))
        try:
            hash(key)
        except TypeError:
            return (self.factory, id(self))
        return key

    def __repr__(self) -> str:
        name = getattr(self.factory, "__qualname__", repr(self.factory))
        return f"Depends({name})"


def dependency_parameters(function: Callable[..., Any]) -> dict[str, Depends]:
    """The parameters of `function` whose default is a `Depends` (looked up once per function:
    a task runs many times, and reading a signature costs more than a small task)."""
    try:
        return _parameters(function)
    except TypeError:  # unhashable callable
        return _read_parameters(function)


def _read_parameters(function: Callable[..., Any]) -> dict[str, Depends]:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if isinstance(parameter.default, Depends)
    }


_parameters = functools.lru_cache(maxsize=4096)(_read_parameters)


class DependencyScope:
    """The dependencies of one run: resolved on demand, cached, torn down by `aclose`."""

    def __init__(self, session: Any = None) -> None:
        self.session = session
        """The run's session, for the built-in dependencies (`builtins.current_session`)."""
        self._stack = AsyncExitStack()
        self._values: dict[Hashable, Any] = {}

    async def resolve(self, depends: Depends) -> Any:
        key = depends.cache_key()
        if key in self._values:
            return self._values[key]
        factory = depends.factory
        # A factory may itself ask for dependencies, through its own `Depends` defaults.
        nested = {
            name: await self.resolve(inner)
            for name, inner in dependency_parameters(factory).items()
            if name not in depends.kwargs
        }
        kwargs = {**nested, **depends.kwargs}
        token = CURRENT_SESSION.set(self.session)
        try:
            value = await self._make(factory, depends, kwargs)
        finally:
            CURRENT_SESSION.reset(token)
        self._values[key] = value
        return value

    async def _make(self, factory: Callable[..., Any], depends: Depends, kwargs: Any) -> Any:
        if inspect.isasyncgenfunction(factory):
            value = await self._stack.enter_async_context(
                asynccontextmanager(factory)(*depends.args, **kwargs)
            )
        elif inspect.isgeneratorfunction(factory):
            value = self._stack.enter_context(contextmanager(factory)(*depends.args, **kwargs))
        else:
            value = factory(*depends.args, **kwargs)
            if inspect.isawaitable(value):
                value = await value
        return value

    async def arguments(self, function: Callable[..., Any]) -> dict[str, Any]:
        """Keyword arguments for each of `function`'s `Depends` parameters."""
        return await self.resolve_all(dependency_parameters(function))

    async def resolve_all(self, parameters: dict[str, Depends]) -> dict[str, Any]:
        """Keyword arguments for `parameters` (name -> its `Depends`)."""
        return {name: await self.resolve(depends) for name, depends in parameters.items()}

    async def aclose(self) -> None:
        """Tear down every generator dependency, last set up first."""
        self._values.clear()
        await self._stack.aclose()
