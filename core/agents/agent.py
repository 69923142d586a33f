"""`@agent` and `Agent`: async functions that talk in streamed, immutable messages.

An `Agent` is itself a `Frozen` value (alias, the wrapped function's name and its frozen
kwargs), so agents can be passed as kwargs to other agents (``agent_loop(agents=[...])``) and
their hash is a stable fingerprint for caching.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, overload

from pydantic import Field, PrivateAttr

from ..frozen import Frozen, FrozenMapping, freeze
from ..promising import MessageSequencePromise

if TYPE_CHECKING:
    from .calls import AgentCall

__all__ = ["Agent", "agent", "default_alias"]

_WORD_BOUNDARIES = (re.compile(r"(?<=[a-z0-9])(?=[A-Z])"), re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])"))


def default_alias(name: str) -> str:
    """``anthropic_agent`` -> ``ANTHROPIC_AGENT``; ``MarkdownHistoryAgent`` -> the same style."""
    for boundary in _WORD_BOUNDARIES:
        name = boundary.sub("_", name)
    return name.upper()


def _function_name(target: Any) -> str:
    module = getattr(target, "__module__", None) or "?"
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{module}:{qualname}"


def _freeze_kwargs(kwargs: Mapping[str, Any], alias: str) -> FrozenMapping:
    # Frozen at the call site so an unfreezable value fails where it was passed, not later
    # inside a background task.
    return FrozenMapping(
        {key: freeze(value, f"{alias}({key}=...)") for key, value in kwargs.items()}
    )


class Agent(Frozen):
    """An agent: call `inquire()` for a streamed reply, `fork()` for a configured copy.

    Build one with the `agent` decorator rather than directly.
    """

    type_tag: ClassVar[str] = "ramify.Agent"

    alias: str
    function: str
    params: FrozenMapping = Field(default_factory=FrozenMapping)
    description: str | None = Field(default=None, exclude=True)

    _target: Any = PrivateAttr(default=None)
    _non_freezable: dict[str, Any] = PrivateAttr(default_factory=dict)
    _cache: bool = PrivateAttr(default=True)

    @property
    def cache(self) -> bool:
        """Whether recorded replies may be replayed for the same fingerprint and input."""
        return self._cache

    @property
    def target(self) -> Any:
        """The wrapped async function or agent class."""
        return self._target

    def fork(
        self,
        alias: str | None = None,
        description: str | None = None,
        *,
        non_freezable_kwargs: Mapping[str, Any] | None = None,
        cache: bool | None = None,
        **kwargs: Any,
    ) -> Agent:
        """A copy with `kwargs` merged over this agent's; call-time kwargs still win."""
        new_alias = alias or self.alias
        merged = {**self.params, **_freeze_kwargs(kwargs, new_alias)}
        return _make_agent(
            self._target,
            alias=new_alias,
            description=description if description is not None else self.description,
            kwargs=merged,
            non_freezable={**self._non_freezable, **(non_freezable_kwargs or {})},
            cache=self._cache if cache is None else cache,
        )

    def call(
        self,
        *,
        start_asap: bool | None = None,
        errors_as_messages: bool | None = None,
        **kwargs: Any,
    ) -> AgentCall:
        """Start a full-duplex call: `send()` messages, read replies, `send()` again."""
        from .calls import AgentCall

        return AgentCall(
            self,
            _freeze_kwargs(kwargs, self.alias),
            start_asap=start_asap,
            errors_as_messages=errors_as_messages,
        )

    def inquire(
        self,
        messages: Any = None,
        *,
        start_asap: bool | None = None,
        errors_as_messages: bool | None = None,
        **kwargs: Any,
    ) -> MessageSequencePromise:
        """Send `messages` and return the reply sequence at once; the agent runs in background.

        Args:
            messages: anything a reply accepts (str, dict, Message, promises, sequences,
                iterables of these), or None for no input.
            start_asap: start at the next task switch (default) or when first consumed.
            errors_as_messages: failures become `ErrorMessage`s in the reply.
            kwargs: passed to the agent function, frozen here (an unfreezable value raises).
        """
        call = self.call(start_asap=start_asap, errors_as_messages=errors_as_messages, **kwargs)
        if messages is not None:
            call.send(messages)
        return call.reply_sequence()

    def fingerprint(self, call_kwargs: Mapping[str, Any] | None = None) -> str:
        """The hash naming this agent plus the kwargs of one call (cache and run identity)."""
        if not call_kwargs:
            return self.hash_key
        return Agent(
            alias=self.alias,
            function=self.function,
            params=FrozenMapping({**self.params, **call_kwargs}),
        ).hash_key

    def merged_kwargs(self, call_kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """What the function receives: fork kwargs, live dependencies, then call kwargs."""
        return {**self.params, **self._non_freezable, **call_kwargs}

    def __repr__(self) -> str:
        return f"<Agent {self.alias}>"


def _make_agent(
    target: Any,
    *,
    alias: str,
    description: str | None,
    kwargs: Mapping[str, Any],
    non_freezable: Mapping[str, Any],
    cache: bool,
) -> Agent:
    made = Agent(
        alias=alias,
        function=_function_name(target),
        params=FrozenMapping(kwargs),
        description=description,
    )
    made._target = target
    made._non_freezable = dict(non_freezable)
    made._cache = cache
    return made


def _check_target(target: Any) -> None:
    if inspect.isclass(target):
        if not inspect.iscoroutinefunction(getattr(target, "__call__", None)):  # noqa: B004
            raise TypeError(f"agent class {target.__qualname__} needs an `async def __call__`")
        return
    if not inspect.iscoroutinefunction(target):
        raise TypeError(
            f"@agent needs an `async def` function taking the InteractionContext, got {target!r}"
        )


def _describe(target: Any, alias: str, description: str | None) -> str | None:
    text = description if description is not None else inspect.getdoc(target)
    if text is None:
        return None
    return " ".join(text.split()).replace("{AGENT_ALIAS}", alias)


@overload
def agent(func_or_class: Callable[..., Any], /) -> Agent: ...


@overload
def agent(
    func_or_class: None = None,
    /,
    *,
    alias: str | None = None,
    description: str | None = None,
    non_freezable_kwargs: Mapping[str, Any] | None = None,
    cache: bool = True,
    **kwargs_to_freeze: Any,
) -> Callable[[Callable[..., Any]], Agent]: ...


def agent(
    func_or_class: Callable[..., Any] | None = None,
    /,
    *,
    alias: str | None = None,
    description: str | None = None,
    non_freezable_kwargs: Mapping[str, Any] | None = None,
    cache: bool = True,
    **kwargs_to_freeze: Any,
) -> Agent | Callable[[Callable[..., Any]], Agent]:
    """Make an agent of an ``async def fn(ctx, **kwargs)`` (bare ``@agent`` or with arguments).

    Args:
        alias: the agent's name; defaults to the function name upper-cased
            (``my_agent`` -> ``MY_AGENT``).
        description: defaults to the docstring, whitespace normalised.
        non_freezable_kwargs: live dependencies (clients, callbacks) passed as they are and
            left out of the fingerprint.
        cache: replay recorded replies for the same fingerprint and input (sessions only).
        kwargs_to_freeze: default kwargs, frozen now.
    A class works too: it is instantiated per call as ``cls(ctx=ctx, **kwargs)`` and its
    ``async __call__()`` is awaited.
    """

    def decorate(target: Callable[..., Any]) -> Agent:
        _check_target(target)
        name = alias or default_alias(target.__name__)
        return _make_agent(
            target,
            alias=name,
            description=_describe(target, name, description),
            kwargs=_freeze_kwargs(kwargs_to_freeze, name),
            non_freezable=non_freezable_kwargs or {},
            cache=cache,
        )

    if func_or_class is not None:
        return decorate(func_or_class)
    return decorate
