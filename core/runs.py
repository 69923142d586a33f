"""Records of agent calls. The agents layer fills them in; the store keeps them."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, Field

__all__ = [
    "Run",
    "RunStatus",
    "RunUsage",
    "copy_run",
    "decode_timings",
    "encode_timings",
    "fresh_run",
]


class RunStatus(StrEnum):
    """Where a run is in its life."""

    RUNNING = "running"
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    #: Stopped at an interrupt (an approval, a breakpoint) until someone answers it.
    WAITING = "waiting"


class RunUsage(BaseModel):
    """Tokens and cost a provider reported for a run (None when not reported)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None


# `uuid.uuid4().hex` without its costs (~3 us: a `urandom` call and a `UUID` per id, one
# id per workflow task): 128 random bits with the version-4 and variant bits set, as uuid4
# sets them, from a pool filled by one `urandom` call. `list.pop` is atomic, so threads share
# the pool; a forked child empties it, so parent and child never hand out the same bits.
_ID_KEEP = ((1 << 128) - 1) & ~(0xF << 76) & ~(0x3 << 62)
_ID_SET = (0x4 << 76) | (0x2 << 62)
_ID_POOL: list[int] = []
_ID_BATCH = 128
if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_ID_POOL.clear)


def _new_run_id() -> str:
    # `_pooled_run_id` looked up at call time (not bound as the default factory), so a
    # script that builds example sessions can fix the ids (sessions/generate.py).
    return _pooled_run_id()


def _pooled_run_id() -> str:
    try:
        bits = _ID_POOL.pop()
    except IndexError:
        block = os.urandom(16 * _ID_BATCH)
        _ID_POOL.extend(
            int.from_bytes(block[start : start + 16], "big") for start in range(0, len(block), 16)
        )
        bits = _ID_POOL.pop()
    return "%032x" % ((bits & _ID_KEEP) | _ID_SET)


def _now() -> float:
    # Looked up at call time (not bound as `default_factory=time.time`), so a script that
    # builds example sessions can fix the clock.
    return time.time()


class Run(BaseModel):
    """One agent call: who ran, on what input, how it went and which nodes it produced.

    Mutable on purpose: a run is created when the call starts and updated as it goes. Times are
    seconds since the epoch.
    """

    id: str = Field(default_factory=_new_run_id)
    session_id: str | None = None
    parent_run_id: str | None = None
    agent: str
    fingerprint: str = ""
    input_node: str | None = None
    input_messages: list[str] = Field(default_factory=list)
    status: RunStatus = RunStatus.RUNNING
    usage: RunUsage = Field(default_factory=RunUsage)
    started_at: float = Field(default_factory=_now)
    first_token_at: float | None = None
    ended_at: float | None = None
    output_nodes: list[str] = Field(default_factory=list)
    error: str | None = None
    # Which process ran it: a run still "running" whose process is gone reads as interrupted.
    pid: int | None = None
    host: str | None = None
    # Output node hash -> how its text streamed in (`encode_timings`), for replay.
    timings: dict[str, str] = Field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """Whether the run has stopped, for whatever reason."""
        return self.status is not RunStatus.RUNNING


def copy_run(run: Run) -> Run:
    """A copy of `run` sharing nothing mutable with it, as ``run.model_copy(deep=True)`` makes,
    at a fraction of its cost (a workflow copies each task's record several times on its way
    to a store): a `Run`'s only mutable values are its two lists of hashes, its timings dict
    and its usage, whose fields are scalars. A subclass, or a run holding extra or private
    values, is copied the general way."""
    usage = run.usage
    if (
        type(run) is not Run
        or type(usage) is not RunUsage
        or run.__pydantic_extra__
        or run.__pydantic_private__
        or usage.__pydantic_extra__
        or usage.__pydantic_private__
    ):
        return run.model_copy(deep=True)
    fields = dict(run.__dict__)
    fields["input_messages"] = list(run.input_messages)
    fields["output_nodes"] = list(run.output_nodes)
    fields["timings"] = dict(run.timings)
    fields["usage"] = _copied(usage, dict(usage.__dict__))
    return _copied(run, fields)


def fresh_run(template: Run, **changes: Any) -> Run:
    """A new run record with `template`'s values, a new id, started now, and `changes`,
    which the caller vouches are of their fields' types (they are not validated): what
    ``Run(...)`` builds from the same values at a fraction of its cost (a workflow makes one
    per task, each like the last)."""
    run = copy_run(template)
    fields = run.__dict__
    fields["id"] = _new_run_id()
    fields["started_at"] = _now()
    fields.update(changes)
    fields_set = template.__pydantic_fields_set__ | changes.keys()
    object.__setattr__(run, "__pydantic_fields_set__", fields_set)
    return run


_M = TypeVar("_M", bound=BaseModel)


def _copied(model: _M, fields: dict[str, object]) -> _M:
    """A new instance of `model`'s class with `fields` as its values (no validation)."""
    copy = type(model).__new__(type(model))
    object.__setattr__(copy, "__dict__", fields)
    object.__setattr__(copy, "__pydantic_extra__", None)
    object.__setattr__(copy, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    object.__setattr__(copy, "__pydantic_private__", None)
    return copy


_TIMING_STEP = re.compile(r"(\d{1,12}):(\d{1,12})", re.ASCII)


def encode_timings(steps: Iterable[tuple[int, int]]) -> str:
    """``[(chars, ms), ...]`` as ``"chars:ms,chars:ms"``: `chars` characters arrived `ms`
    milliseconds after the previous step (the first one after the message was delivered).
    """
    return ",".join(f"{chars}:{ms}" for chars, ms in steps)


def decode_timings(encoded: str) -> list[tuple[int, int]]:
    """The steps of an `encode_timings` string; raises `ValueError` if it is malformed."""
    if not encoded:
        return []
    steps = []
    for item in encoded.split(","):
        match = _TIMING_STEP.fullmatch(item)
        if match is None:
            raise ValueError(f"timing step {item[:40]!r} is not 'chars:ms'")
        steps.append((int(match[1]), int(match[2])))
    return steps
