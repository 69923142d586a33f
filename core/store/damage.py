"""Rows of a database that no longer read back: reported once each, never fatal to the rest.

A row altered outside Ramify (a hand edit, a damaged disk, an older bug) must not make a whole
branch or session unreadable. A message row that does not rebuild to its hash reads as an
`ErrorMessage` naming the hash; a node row that does not reads as a node keeping its hash and
links whose message is such an error (see `node_rows`); a run or session row that does not
validate is skipped by listings, and named by a `CorruptDatabase` when asked for by id. Each
is logged (logger ``ramify.store``, WARNING).
"""

from __future__ import annotations

import logging

from ..errors import CorruptDatabase
from ..messages import ErrorMessage

__all__ = ["damaged_message", "damaged_node_message", "report_damage"]

logger = logging.getLogger("ramify.store")

_ALTERED = "the database was altered outside Ramify or is damaged"


def report_damage(kind: str, key: str, reason: str) -> CorruptDatabase:
    """Log a row that does not read back, and return the error that describes it."""
    error = CorruptDatabase(f"stored {kind} {key} cannot be read ({reason}): {_ALTERED}")
    logger.warning("%s", error)
    return error


def damaged_message(key: str, reason: str) -> ErrorMessage:
    """What a message row that does not rebuild to `key` reads as (and it is logged)."""
    return ErrorMessage.from_exception(report_damage("message", key, reason))


def damaged_node_message(key: str, reason: str) -> ErrorMessage:
    """What the message of a node row that does not rebuild to `key` reads as (logged)."""
    return ErrorMessage.from_exception(report_damage("node", key, reason))
