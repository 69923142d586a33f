"""The machine half of a session file: the header, the markers and the metadata block.

A file Ramify writes starts with ``<!-- ramify-session format=2 marker=ramify:<hex> -->``.
The marker is chosen so that no message body contains it; only lines starting with
``<!-- <marker> `` are structure:

* ``<!-- <marker> node <hash> -->`` opens a message: the next line is its heading, the lines
  up to the next marker its body;
* ``<!-- <marker> branch -->`` and ``<!-- <marker> links -->`` open display-only blocks
  (section headings, links between branches);
* ``<!-- <marker> data`` opens the metadata comment, last in the file: one JSON object per
  line, closed by a line ``-->``. JSON cannot hold ``--`` there (it is written ``-\\u002d``),
  so no text can end the comment early.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

__all__ = [
    "DATA_CLOSING",
    "FORMAT_VERSION",
    "HEADER",
    "READABLE_FORMATS",
    "anchor_prefix",
    "choose_marker",
    "comment_json",
    "data_opening",
    "header_line",
    "links_marker",
    "node_marker",
    "section_marker",
]

FORMAT_VERSION = 2
"""Bump when the metadata or the way bodies are rendered changes. Format 2 disarms raw HTML
and headings in bodies and builds anchors from the marker."""

READABLE_FORMATS = frozenset({1, FORMAT_VERSION})
"""The formats an import reads: the body check renders each as it was written."""

HEADER = re.compile(r"<!-- ramify-session format=(\d{1,9}) marker=(ramify:[0-9a-f]{8,64}) -->")
DATA_CLOSING = "-->"

_SURROGATE = re.compile(r"[\ud800-\udfff]")
# One encoder for every line: `json.dumps` with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def header_line(marker: str) -> str:
    """The first line of a session file."""
    return f"<!-- ramify-session format={FORMAT_VERSION} marker={marker} -->"


def choose_marker(seed: str, haystack: str) -> str:
    """A marker derived from `seed` (stable output) whose hex part does not occur in
    `haystack`, so neither the marker nor an anchor built from it (`anchor_prefix`) can."""
    number = 0
    while True:
        digest = hashlib.sha256(f"{seed}\n{number}".encode("utf-8", "replace")).hexdigest()
        if digest[:8] not in haystack:
            return f"ramify:{digest[:8]}"
        number += 1


def anchor_prefix(marker: str) -> str:
    """What starts every anchor of a file: unique to it, so no text in it can forge one."""
    return f"r{marker.removeprefix('ramify:')}-"


def node_marker(marker: str, node_hash: str) -> str:
    """The line that opens a message section."""
    return f"<!-- {marker} node {node_hash} -->"


def section_marker(marker: str) -> str:
    """The line that opens a branch section's heading."""
    return f"<!-- {marker} branch -->"


def links_marker(marker: str) -> str:
    """The line that opens the links shown after a branch point."""
    return f"<!-- {marker} links -->"


def data_opening(marker: str) -> str:
    """The line that opens the metadata comment."""
    return f"<!-- {marker} data"


def comment_json(value: Any) -> str:
    """`value` as one line of JSON that is safe inside an HTML comment."""
    text = _ENCODER.encode(value)
    # "--" only occurs inside JSON strings, where "-\u002d" means the same.
    text = text.replace("--", "-\\u002d")
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text
