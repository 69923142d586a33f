"""Termination conditions: when a network (or a loop of actors) stops, and why.

Each condition looks at the network's `NetState` after every delivered message and answers
with a reason (a short sentence) or None. Combine them: ``MaxMessages(50) | TextMention("DONE")``
stops at whichever comes first, ``a & b`` only when both hold. The reason of the condition that
fired is what the network records (a `Stopped` node and `NetResult.stop_reason`).

`Timeout` and `ExternalStop` also stop a network that is waiting inside a handler: the network
cancels its dispatch loop, so a handler that never returns cannot hang it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..messages import Message
from ..tree import USER

__all__ = [
    "ExternalStop",
    "HandoffToUser",
    "MaxMessages",
    "NetState",
    "TerminationCondition",
    "TextMention",
    "Timeout",
    "TokenBudget",
]


@dataclass(slots=True)
class NetState:
    """What the conditions see: counts so far and the last message delivered."""

    messages: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    last: Message | None = None


class TerminationCondition:
    """Base of the conditions; ``|`` is either, ``&`` is both."""

    def check(self, state: NetState) -> str | None:
        """The reason to stop now, or None to go on."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget what the last run saw (called when a network run starts)."""

    def deadline(self) -> float | None:
        """Seconds after the start at which this condition fires whatever happens, if any."""
        return None

    def watch(self, stop: Callable[[str], None]) -> None:
        """Let the condition stop a running network from outside (see `ExternalStop`)."""

    def __or__(self, other: TerminationCondition) -> TerminationCondition:
        return AnyOf(self, other)

    def __and__(self, other: TerminationCondition) -> TerminationCondition:
        return AllOf(self, other)


class AnyOf(TerminationCondition):
    """Stops when any part does (``a | b``)."""

    def __init__(self, *parts: TerminationCondition) -> None:
        self.parts = parts

    def check(self, state: NetState) -> str | None:
        for part in self.parts:
            reason = part.check(state)
            if reason is not None:
                return reason
        return None

    def reset(self) -> None:
        for part in self.parts:
            part.reset()

    def deadline(self) -> float | None:
        times = [t for t in (part.deadline() for part in self.parts) if t is not None]
        return min(times) if times else None

    def watch(self, stop: Callable[[str], None]) -> None:
        for part in self.parts:
            part.watch(stop)


class AllOf(TerminationCondition):
    """Stops when every part does (``a & b``); the reasons are joined."""

    def __init__(self, *parts: TerminationCondition) -> None:
        self.parts = parts

    def check(self, state: NetState) -> str | None:
        reasons = []
        for part in self.parts:
            reason = part.check(state)
            if reason is None:
                return None
            reasons.append(reason)
        return " and ".join(reasons)

    def reset(self) -> None:
        for part in self.parts:
            part.reset()


class MaxMessages(TerminationCondition):
    """Stops after `limit` delivered messages."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"MaxMessages needs a limit of at least 1, got {limit}")
        self.limit = limit

    def check(self, state: NetState) -> str | None:
        if state.messages >= self.limit:
            return f"reached {self.limit} messages"
        return None


class TextMention(TerminationCondition):
    """Stops when a delivered message's text contains `text`."""

    def __init__(self, text: str) -> None:
        if not text:
            raise ValueError("TextMention needs a non-empty text")
        self.text = text

    def check(self, state: NetState) -> str | None:
        if state.last is not None and self.text in state.last.text:
            return f"a message mentioned {self.text!r}"
        return None


class Timeout(TerminationCondition):
    """Stops `seconds` after the run started, even inside a handler that is still waiting."""

    def __init__(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"Timeout needs seconds >= 0, got {seconds}")
        self.seconds = seconds

    def check(self, state: NetState) -> str | None:
        if time.monotonic() - state.started >= self.seconds:
            return self.reason()
        return None

    def reason(self) -> str:
        return f"timed out after {self.seconds:g} s"

    def deadline(self) -> float | None:
        return self.seconds


class TokenBudget(TerminationCondition):
    """Stops once the messages delivered used `limit` tokens.

    A message's tokens are its `output_tokens` field when it has one (a model's report),
    else an estimate of one token per 4 characters of text.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"TokenBudget needs a limit of at least 1, got {limit}")
        self.limit = limit

    def check(self, state: NetState) -> str | None:
        if state.tokens >= self.limit:
            return f"used the token budget ({state.tokens} of {self.limit})"
        return None


class ExternalStop(TerminationCondition):
    """Stops when `set()` is called, from anywhere (a button, another task, Esc)."""

    def __init__(self) -> None:
        self._reason: str | None = None
        self._watchers: list[Callable[[str], None]] = []

    def set(self, reason: str = "stopped from outside") -> None:
        """Stop the networks running with this condition, now."""
        self._reason = reason
        for stop in list(self._watchers):
            stop(reason)

    def check(self, state: NetState) -> str | None:
        return self._reason

    def reset(self) -> None:
        self._reason = None
        self._watchers.clear()

    def watch(self, stop: Callable[[str], None]) -> None:
        self._watchers.append(stop)


class HandoffToUser(TerminationCondition):
    """Stops when a message is addressed to the user (receiver ``USER``): it is their turn."""

    def __init__(self, user: str = USER) -> None:
        self.user = user

    def check(self, state: NetState) -> str | None:
        if state.last is not None and getattr(state.last, "receiver", None) == self.user:
            return f"handed off to {self.user}"
        return None
