"""The wire between a caller and its workers: subjects, headers, envelopes and errors.

Subjects (all under ``ramify.``):

* ``ramify.agents.<ALIAS>.run``: run requests, served by a queue group, so one worker of the
  pool answers each; the reply accepts (naming the worker) or refuses in one line.
* ``ramify.runs.<RUN>.tokens``: core NATS, low latency, may drop: ``open`` events (a reply
  message starts, with its fields known beforehand) and its tokens.
* ``ramify.runs.<RUN>.beat``: the worker's heartbeat while the run lives.
* ``ramify.runs.<RUN>.cancel``: the caller asks the worker to stop the run.
* ``ramify.runs.<RUN>.out``: JetStream (stream ``RAMIFY_RUNS``), durable: each finished
  message, then one ``end`` record with the run's status. A restarted caller reads it again.
* ``ramify.workers.ping``: every live worker answers with what it serves.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

__all__ = [
    "BEAT_INTERVAL",
    "HEADER_EVENT",
    "HEADER_INDEX",
    "PING_SUBJECT",
    "PROTOCOL",
    "QUEUE_GROUP",
    "STREAM",
    "RemoteError",
    "RemoteRunError",
    "RemoteUnavailableError",
    "RemoteVersionError",
    "UnknownRemoteAgentError",
    "WorkerLostError",
    "agent_subject",
    "decode",
    "encode",
    "json_ready",
    "message_id",
    "ramify_version",
    "run_subject",
]

#: Bumped when the envelopes change shape; a worker refuses requests of another protocol.
PROTOCOL = 1
STREAM = "RAMIFY_RUNS"
QUEUE_GROUP = "ramify-workers"
PING_SUBJECT = "ramify.workers.ping"
#: Seconds between a worker's heartbeats for each run.
BEAT_INTERVAL = 0.5
HEADER_EVENT = "Ramify-Event"
HEADER_INDEX = "Ramify-Index"

_SAFE_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class RemoteError(Exception):
    """A remote run could not be done; ``str(error)`` is one line saying what to do."""


class RemoteUnavailableError(RemoteError):
    """The NATS server cannot be reached (or was lost for too long)."""


class UnknownRemoteAgentError(RemoteError):
    """No live worker serves the agent asked for."""


class RemoteVersionError(RemoteError):
    """The worker runs another Ramify version or wire protocol than the caller."""


class WorkerLostError(RemoteError):
    """The worker running the call stopped sending heartbeats (killed, hung or cut off)."""


class RemoteRunError(RemoteError):
    """The worker refused the request or reported a failure outside the agent's replies."""


def ramify_version() -> str:
    """The installed Ramify version, sent with every request and every worker's answer."""
    try:
        return version("ramify")
    except PackageNotFoundError:
        return "unknown"


def _subject_token(name: str) -> str:
    # Subject tokens cannot hold dots, spaces or wildcards; aliases are mostly identifiers,
    # anything else is escaped (a clash needs two aliases differing only in such characters).
    return _SAFE_TOKEN.sub("_", name) or "_"


def agent_subject(alias: str) -> str:
    """Where run requests for the agent `alias` go."""
    return f"ramify.agents.{_subject_token(alias)}.run"


def run_subject(run_id: str, kind: str) -> str:
    """The subject of one run's `kind` (``tokens``, ``beat``, ``cancel``, ``out``)."""
    return f"ramify.runs.{_subject_token(run_id)}.{kind}"


def message_id(run_id: str, index: int, message_hash: str) -> str:
    """The ``Nats-Msg-Id`` of a finished message: JetStream drops a repeat of it.

    The message hash is scoped by run and position: the same reply given by two runs (a
    rerun) is two records, while a worker publishing one again after a reconnect is one.
    """
    return f"{run_id}:{index}:{message_hash}"


def encode(document: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the format of every envelope."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def decode(data: bytes, what: str) -> dict[str, Any]:
    """A JSON object from `data`; `RemoteRunError` naming `what` if it is not one."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise RemoteRunError(f"{what} is not JSON; is a non-Ramify client on the bus?") from None
    if not isinstance(document, dict):
        raise RemoteRunError(f"{what} is not a JSON object")
    return document


def json_ready(value: Any, what: str) -> Any:
    """Frozen values (tuples, `FrozenMapping`, `Frozen`) as JSON data for the wire.

    Raises `RemoteRunError` naming `what` for anything JSON cannot carry.
    """
    from ..frozen import Frozen, FrozenMapping

    if isinstance(value, Frozen):
        return value.to_data()
    if isinstance(value, FrozenMapping | dict):
        return {str(key): json_ready(item, what) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [json_ready(item, what) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise RemoteRunError(f"{what} of type {type(value).__name__} cannot be sent over NATS")
