"""Rows read back into records, shared by the SQL stores: each re-checked as it is read.

A row altered outside Ramify reads as a stand-in (a message) or is reported and skipped by
listings (a session or run); see `damage`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..errors import CorruptDatabase
from ..messages import Message
from ..runs import Run
from .base import SessionRecord
from .damage import damaged_message, report_damage

__all__ = ["readable_rows", "run_from_row", "run_row", "session_from_row", "verified_message"]

_T = TypeVar("_T")


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}".splitlines()[0]


def verified_message(key: str, data: str) -> Message:
    """The message stored as `data` under hash `key`, or a placeholder naming the damage.

    Rebuilding and re-hashing is what catches a row altered outside Ramify; one damaged row
    then reads as an error message in its place, and the rest of the branch still reads.
    """
    try:
        message = Message.from_data(json.loads(data))
    except Exception as error:
        return damaged_message(key, f"{type(error).__name__}: {error}")
    if message.hash_key != key:
        return damaged_message(key, f"its content now hashes to {message.hash_key}")
    return message


def session_from_row(row: Sequence[Any]) -> SessionRecord:
    """A session record from ``(id, title, created_at, updated_at, active_branch,
    remembered_children)``; raises (and reports) `CorruptDatabase` if it does not validate."""
    session_id, title, created_at, updated_at, active_branch, remembered = row
    try:
        return SessionRecord(
            id=session_id,
            title=title,
            created_at=created_at,
            updated_at=updated_at,
            active_branch=active_branch,
            remembered_children=json.loads(remembered),
        )
    except (ValueError, TypeError) as error:
        raise report_damage("session", str(session_id), _reason(error)) from None


def run_row(run: Run) -> tuple[Any, ...]:
    """The `runs` columns of `run` (both databases): id, session_id, parent_run_id, status,
    started_at, fingerprint, input_node, data. `data` holds the whole run, so every field (and
    any field added to `Run` later) round-trips; the others are copies queries filter and sort
    on."""
    return (
        run.id,
        run.session_id,
        run.parent_run_id,
        run.status.value,
        run.started_at,
        run.fingerprint,
        run.input_node,
        run.model_dump_json(),
    )


def run_from_row(row: Sequence[Any]) -> Run:
    """A run from ``(id, data)``; raises (and reports) `CorruptDatabase` if it does not read."""
    run_id, data = row
    try:
        return Run.model_validate_json(data)
    except ValueError as error:
        raise report_damage("run", str(run_id), _reason(error)) from None


def readable_rows(read: Callable[[Sequence[Any]], _T], rows: Sequence[Sequence[Any]]) -> list[_T]:
    """The rows that read back; the others were reported by `read` and are left out."""
    found = []
    for row in rows:
        try:
            found.append(read(row))
        except CorruptDatabase:
            continue
    return found
