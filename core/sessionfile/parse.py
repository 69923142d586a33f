"""Read a session file into a validated `SessionImage`, without touching any store.

Everything is checked before anything is written: the bytes are UTF-8 text of bounded size
without NUL, every metadata line is JSON of the expected shape, every message and node
rebuilds to the hash the file claims, parents and forward sources are in the file and form
no cycle, branch heads name nodes of the file, and every message body still reads as the
recorded text. Data is only ever rebuilt into pydantic models (`frozen_from_data`,
`Run.model_validate`): nothing in a file is executed, unpickled or followed as a path.
"""

from __future__ import annotations

import heapq
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from ..frozen import MAX_INT_DIGITS
from ..messages import Message
from ..runs import Run, decode_timings
from ..store.base import SessionRecord
from ..tree import Node, is_full_hash
from .display import comparable_lines, render_body
from .errors import SessionFileError
from .image import SCOPES, Scope, SessionImage
from .plain import parse_plain_markdown
from .syntax import DATA_CLOSING, FORMAT_VERSION, HEADER, READABLE_FORMATS

__all__ = ["MAX_FILE_BYTES", "parse_session_file"]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest session file read (64 MiB); pass `max_bytes` to change it per call."""

_NODE_MARKER = re.compile(r"node ([0-9a-f]{64}) -->")
_DISPLAY_MARKERS = ("branch -->", "links -->")
_HEADING = re.compile(r" {0,3}#")


@dataclass
class _NodeEntry:
    line: int
    claimed: str
    node: Node
    message: Message


def parse_session_file(
    data: str | bytes, *, source: str | None = None, max_bytes: int = MAX_FILE_BYTES
) -> SessionImage:
    """Validate a Ramify export, or a hand-written conversation, into a `SessionImage`.

    A file starting with Ramify's header line is read from its metadata; anything else is
    read as the seed's markdown history (``# user`` / ``# assistant / model`` headings) and
    becomes a linear conversation on branch ``main``. Raises `SessionFileError` naming
    `source` and the line for anything wrong.
    """
    try:
        text = _decode(data, max_bytes)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        header = HEADER.fullmatch(lines[0].rstrip())
        if header is not None:
            return _parse_export(lines, int(header[1]), header[2])
        if lines[0].startswith("<!-- ramify-session"):
            raise SessionFileError("the Ramify header line is damaged", line=1)
        return parse_plain_markdown(text)
    except SessionFileError as error:
        raise error.from_source(source) from None


def _decode(data: str | bytes, max_bytes: int) -> str:
    too_big = (
        f"the file is larger than {max_bytes} bytes; Ramify does not read session files that big"
    )
    if isinstance(data, str):
        if len(data) > max_bytes:
            raise SessionFileError(too_big)
        try:
            size = len(data.encode("utf-8"))
        except UnicodeEncodeError as error:
            raise SessionFileError(
                "the text holds characters that are not valid Unicode",
                line=data.count("\n", 0, error.start) + 1,
            ) from None
        if size > max_bytes:
            raise SessionFileError(too_big)
        _refuse_nul(data)
        text = data
    elif isinstance(data, (bytes, bytearray)):
        if len(data) > max_bytes:
            raise SessionFileError(too_big)
        # Checked before decoding: a NUL says "binary" more plainly than a decoding error.
        _refuse_nul(bytes(data))
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise SessionFileError(
                "the file is not UTF-8 text (a binary file?)",
                line=data.count(b"\n", 0, error.start) + 1,
            ) from None
    else:
        raise TypeError(f"a session file is str or bytes, not {type(data).__name__}")
    return text.removeprefix("\ufeff")


def _refuse_nul(data: str | bytes) -> None:
    if isinstance(data, str):
        position = data.find("\x00")
        line = data.count("\n", 0, position) + 1 if position >= 0 else 0
    else:
        position = data.find(b"\x00")
        line = data.count(b"\n", 0, position) + 1 if position >= 0 else 0
    if position >= 0:
        raise SessionFileError("the file holds NUL bytes (a binary file?)", line=line)


# --- Ramify exports ---


def _parse_export(lines: list[str], version: int, marker: str) -> SessionImage:
    if version not in READABLE_FORMATS:
        newer = "a newer" if version > FORMAT_VERSION else "an unknown"
        raise SessionFileError(
            f"written by {newer} version of Ramify (format {version}; this one reads format "
            f"{FORMAT_VERSION}): update Ramify to import it",
            line=1,
        )
    markers, data_start = _find_markers(lines, marker)
    items = _metadata_items(lines, data_start)
    image, entries = _build_image(items, version)
    _check_bodies(lines, markers, data_start, entries, version)
    return image


def _find_markers(lines: list[str], marker: str) -> tuple[list[tuple[int, str | None]], int]:
    """Marker lines as ``(index, node hash or None)``, and the index of the data opening."""
    prefix = f"<!-- {marker} "
    found: list[tuple[int, str | None]] = []
    for index, line in enumerate(lines):
        if not line.startswith(prefix):
            continue
        rest = line[len(prefix) :].rstrip()
        if rest == "data":
            return found, index
        match = _NODE_MARKER.fullmatch(rest)
        if match is not None:
            found.append((index, match[1]))
        elif rest in _DISPLAY_MARKERS:
            found.append((index, None))
        else:
            raise SessionFileError(f"unknown Ramify marker {rest[:40]!r}", line=index + 1)
    raise SessionFileError(
        f"the metadata block (a line `<!-- {marker} data`) is missing: the file was cut "
        "short or edited",
        line=len(lines),
    )


def _metadata_items(lines: list[str], data_start: int) -> list[tuple[int, dict[str, Any]]]:
    items: list[tuple[int, dict[str, Any]]] = []
    for index in range(data_start + 1, len(lines)):
        raw = lines[index].strip()
        if raw == DATA_CLOSING:
            break
        if not raw:
            continue
        try:
            value = _STRICT_JSON.decode(raw)
        except _UnstorableValue as error:
            raise SessionFileError(f"broken metadata: {error}", line=index + 1) from None
        except (ValueError, RecursionError):
            raise SessionFileError("broken metadata: not valid JSON", line=index + 1) from None
        if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
            raise SessionFileError(
                'broken metadata: expected a {"kind": ...} object', line=index + 1
            )
        wide = _wide_int(value, skip="message" if value["kind"] == "node" else None)
        if wide is not None:
            raise SessionFileError(
                f"broken metadata: the number {str(wide)[:24]} is too large", line=index + 1
            )
        items.append((index + 1, value))
    else:
        raise SessionFileError(
            "the metadata block is not closed by a line `-->`: the file was cut short",
            line=len(lines),
        )
    for extra in range(index + 1, len(lines)):
        if lines[extra].strip():
            raise SessionFileError(
                "text after the metadata block; add notes above it instead", line=extra + 1
            )
    if not items or items[0][1]["kind"] != "session":
        raise SessionFileError(
            "broken metadata: the first line must describe the session", line=data_start + 2
        )
    return items


class _UnstorableValue(ValueError):
    """A JSON value that parses but that no store can keep exactly."""


def _refuse_constant(name: str) -> Any:
    raise _UnstorableValue(f"{name} is not a number Ramify stores")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _UnstorableValue(f"the number {text[:24]} is too large")
    return value


def _bounded_int(text: str) -> int:
    # The same bound `Frozen` puts on a message's ints, so whatever Ramify can export reads back.
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _UnstorableValue(f"the number {text[:24]}… is too large")
    return int(text)


def _wide_int(value: Any, *, skip: str | None = None) -> int | None:
    """An int outside 64 bits in `value` (not under the key `skip`), else None.

    A message's own data may hold any int `Frozen` allows; everything else in the metadata is a
    count, a time or an id, where such a number is nonsense that breaks a date or a column.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if not _INT_MIN <= value <= _INT_MAX else None
    if isinstance(value, dict):
        children = [child for key, child in value.items() if key != skip]
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _wide_int(child)
        if found is not None:
            return found
    return None


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _UnstorableValue(
                "a string holds an unpaired surrogate escape (such as \\ud800), which is not "
                "valid Unicode"
            ) from None
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def _checked_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Called for every object, innermost first, so each string is checked once.
    for key, value in pairs:
        _check_text(key)
        if not isinstance(value, dict):
            _check_text(value)
    return dict(pairs)


_INT_MAX = 2**63 - 1
_INT_MIN = -(2**63)
# JSON that a store can keep exactly: finite numbers, ints a message may hold, valid Unicode.
# Python's json reads NaN, Infinity, 1e999 (as infinity), huge integers and lone surrogate
# escapes; any of them broke a write halfway, or a read of the stored row later.
_STRICT_JSON = json.JSONDecoder(
    parse_float=_finite_float,
    parse_int=_bounded_int,
    parse_constant=_refuse_constant,
    object_pairs_hook=_checked_object,
)


def _build_image(
    items: list[tuple[int, dict[str, Any]]], version: int
) -> tuple[SessionImage, dict[str, _NodeEntry]]:
    session_line, session = items[0]
    scope, branch, record = _session(session_line, session, version)
    entries: dict[str, _NodeEntry] = {}
    refs: dict[str, tuple[int, str]] = {}
    runs: dict[str, Run] = {}
    for line, item in items[1:]:
        kind = item["kind"]
        if kind == "node":
            entry = _node_entry(line, item)
            if entry.claimed in entries:
                raise SessionFileError(f"node {entry.claimed[:12]} is listed twice", line=line)
            entries[entry.claimed] = entry
        elif kind == "ref":
            name, head = item.get("name"), item.get("head")
            if not isinstance(name, str) or not name or not isinstance(head, str):
                raise SessionFileError(
                    "broken metadata: a branch needs a name and a head", line=line
                )
            if name in refs:
                raise SessionFileError(f"branch {name!r} is listed twice", line=line)
            refs[name] = (line, head)
        elif kind == "run":
            run = _run(line, item)
            if run.id in runs:
                raise SessionFileError(f"run {run.id!r} is listed twice", line=line)
            runs[run.id] = run
        else:
            raise SessionFileError(f"broken metadata: unknown kind {kind[:40]!r}", line=line)
    ordered = _parents_first(entries)
    for entry in sorted(ordered, key=lambda entry: entry.line):
        if entry.node.hash_key != entry.claimed:
            raise SessionFileError(
                f"node hash does not match its content (node {entry.claimed[:12]}): the "
                "metadata was edited or damaged",
                line=entry.line,
            )
    for name, (line, head) in refs.items():
        if head not in entries:
            raise SessionFileError(
                f"branch {name!r} points to node {head[:12]}, which is not in the file", line=line
            )
    for point, child in record.remembered_children.items():
        if point not in entries or child not in entries:
            raise SessionFileError(
                "the session remembers a node that is not in the file", line=session_line
            )
    image = SessionImage(
        record=record,
        nodes={entry.claimed: entry.node for entry in ordered},
        messages={entry.node.message: entry.message for entry in ordered},
        refs={name: head for name, (_, head) in refs.items()},
        runs=list(runs.values()),
        scope=scope,
        branch=branch,
    )
    return image, entries


def _session(
    line: int, item: dict[str, Any], version: int
) -> tuple[Scope, str | None, SessionRecord]:
    if item.get("format") != version:
        raise SessionFileError("the metadata's format does not match the header", line=line)
    scope = item.get("scope")
    branch = item.get("branch")
    if scope not in SCOPES or not (branch is None or isinstance(branch, str)):
        raise SessionFileError("broken metadata: bad scope or branch", line=line)
    try:
        record = SessionRecord.model_validate(item.get("session"))
    except (ValueError, RecursionError):
        raise SessionFileError(
            "broken metadata: the session record is invalid", line=line
        ) from None
    return scope, branch, record


def _node_entry(line: int, item: dict[str, Any]) -> _NodeEntry:
    claimed = item.get("hash")
    data = item.get("message")
    if not isinstance(claimed, str) or not is_full_hash(claimed) or not isinstance(data, dict):
        raise SessionFileError("broken metadata: a node needs a hash and a message", line=line)
    try:
        message = Message.from_data(data)
        node = Node(
            message=message.hash_key,
            parent=item.get("parent"),
            sender=item.get("sender"),
            forwarded_from=item.get("forwarded_from"),
            run_id=item.get("run_id"),
            created_at=item.get("created_at"),
        )
    # Rebuilding models from untrusted data fails in many ways (validation, freezing, a
    # registered class's own checks); all of them mean the same to the user.
    except Exception as error:
        raise SessionFileError(
            f"node {claimed[:12]} cannot be rebuilt ({type(error).__name__}): the metadata "
            "was edited or damaged",
            line=line,
        ) from None
    return _NodeEntry(line, claimed, node, message)


def _run(line: int, item: dict[str, Any]) -> Run:
    try:
        run = Run.model_validate(item.get("run"))
        for timing in run.timings.values():
            decode_timings(timing)
    except (ValueError, RecursionError):
        raise SessionFileError("broken metadata: a run record is invalid", line=line) from None
    return run


def _parents_first(entries: dict[str, _NodeEntry]) -> list[_NodeEntry]:
    """Entries with parents and forward sources first, else oldest first (as they were
    written, so children keep their order); checks that both exist and form no cycle."""
    waiting_on: dict[str, list[_NodeEntry]] = {}
    missing: dict[str, int] = {}
    ready: list[tuple[float, int, _NodeEntry]] = []
    for entry in entries.values():
        needs = {ref for ref in (entry.node.parent, entry.node.forwarded_from) if ref is not None}
        for ref in needs:
            if ref not in entries:
                label = "parent" if ref == entry.node.parent else "forward source"
                raise SessionFileError(
                    f"missing parent: the {label} {ref[:12]} of node {entry.claimed[:12]} is "
                    "not in the file",
                    line=entry.line,
                )
            waiting_on.setdefault(ref, []).append(entry)
        missing[entry.claimed] = len(needs)
        if not needs:
            ready.append(_age(entry))
    heapq.heapify(ready)
    ordered: list[_NodeEntry] = []
    while ready:
        entry = heapq.heappop(ready)[2]
        ordered.append(entry)
        for waiting in waiting_on.get(entry.claimed, ()):
            missing[waiting.claimed] -= 1
            if missing[waiting.claimed] == 0:
                heapq.heappush(ready, _age(waiting))
    if len(ordered) < len(entries):
        stuck = min(entry.line for entry in entries.values() if missing[entry.claimed])
        raise SessionFileError("parent cycle: these nodes are their own ancestors", line=stuck)
    return ordered


def _age(entry: _NodeEntry) -> tuple[float, int, _NodeEntry]:
    return (entry.node.created_at or 0.0, entry.line, entry)


def _check_bodies(
    lines: list[str],
    markers: Sequence[tuple[int, str | None]],
    data_start: int,
    entries: dict[str, _NodeEntry],
    version: int,
) -> None:
    shown: set[str] = set()
    for position, (index, node_hash) in enumerate(markers):
        if node_hash is None:
            continue
        entry = entries.get(node_hash)
        if entry is None:
            raise SessionFileError(
                f"message {node_hash[:12]} is not in the metadata block", line=index + 1
            )
        if node_hash in shown:
            raise SessionFileError(f"message {node_hash[:12]} is shown twice", line=index + 1)
        shown.add(node_hash)
        end = markers[position + 1][0] if position + 1 < len(markers) else data_start
        start = index + 1
        if start < end and _HEADING.match(lines[start]):
            start += 1
        differs = _first_difference(lines, start, end, render_body(entry.message, version))
        if differs is not None:
            raise SessionFileError(
                f"message {node_hash[:12]} was edited by hand: its text differs from the "
                "recorded one (in the metadata block at the end). Undo the edit, or change "
                "the message in Ramify and export again",
                line=differs + 1,
            )
    for entry in entries.values():
        if entry.claimed not in shown:
            raise SessionFileError(
                f"message {entry.claimed[:12]} has no section in the readable part (deleted?)",
                line=entry.line,
            )


def _first_difference(lines: list[str], start: int, end: int, body: str) -> int | None:
    """The index of the first line in ``lines[start:end]`` that differs from `body`."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    numbered = [(index, lines[index].rstrip()) for index in range(start, end)]
    last = end - 1 if end > start else max(start - 1, 0)
    for got, want in zip_longest(numbered, comparable_lines(body)):
        if got is None:
            return last
        if got[1] != want:
            return got[0]
    return None
