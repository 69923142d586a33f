"""The readable half of a session file: headings, message bodies, and how they compare.

Bodies are the message text as markdown, verbatim except for what would break the rest of
the page: control characters are shown as symbols, raw HTML and headings of levels 1-3 are
disarmed (see `inert`), and a code fence the text leaves open is closed after it. The
importer compares bodies with `render_body` through `comparable_lines`, so any change here
changes what counts as a hand edit: bump `FORMAT_VERSION` in `syntax.py` when it does, and
keep rendering the formats still read (`READABLE_FORMATS`) as they were written.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache

from ..messages import Message
from ..tree import Node
from .inert import make_inert
from .syntax import FORMAT_VERSION

__all__ = [
    "comparable_lines",
    "inline_code",
    "inline_text",
    "node_heading",
    "render_body",
    "utc_minute",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
# CommonMark HTML blocks that run until an end marker rather than a blank line.
_HTML_BLOCKS = (
    (re.compile(r" {0,3}<(pre|script|style|textarea)(?:[\s>]|$)", re.I), None),
    (re.compile(r" {0,3}<!--"), "-->"),
    (re.compile(r" {0,3}<\?"), "?>"),
    (re.compile(r" {0,3}<!\[CDATA\["), "]]>"),
)
_RAW_END = re.compile(r"</(?:pre|script|style|textarea)>", re.I)


def _symbol(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def _visible(text: str) -> str:
    return _CONTROL.sub(_symbol, text.replace("\r\n", "\n").replace("\r", "\n"))


def inline_code(text: str) -> str:
    """`text` as a markdown code span, on one line, whatever backticks it holds."""
    flat = " ".join(_visible(text).split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


@lru_cache(maxsize=1024)
def inline_text(text: str) -> str:
    """`text` on one line with markdown and HTML specials escaped, for headings and links."""
    flat = " ".join(_visible(text).split())
    return _INLINE_SPECIAL.sub(r"\\\1", flat).replace("&", "&amp;")


def utc_minute(timestamp: float | None) -> str:
    """``2025-01-31T09:05Z`` (UTC, to the minute), or "" when unknown."""
    if timestamp is None:
        return ""
    try:
        return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(timestamp))
    except (OverflowError, OSError, ValueError):
        return ""


def node_heading(node: Node, message: Message, anchor: str) -> str:
    """``### <a id=…></a>sender · model · role · flags · time`` for one message."""
    parts = [inline_text(node.sender) or "(no sender)"]
    model = _field(message, "model")
    if isinstance(model, str) and model:
        parts.append(inline_text(model))
    place = _workflow_place(message)
    if place:
        parts.append(inline_text(place))
    if message.role not in (None, "user", "assistant"):
        parts.append(inline_text(str(message.role)))
    tool_name = _field(message, "name") if message.role == "tool" else None
    if isinstance(tool_name, str):
        parts.append(inline_text(tool_name))
        if _field(message, "is_error") is True:
            parts.append("failed")
    if node.forwarded_from is not None:
        parts.append("forwarded")
    if _field(message, "cancelled") is True:
        parts.append("cancelled")
    when = utc_minute(node.created_at)
    if when:
        parts.append(when)
    return f'### <a id="{anchor}"></a>' + " · ".join(parts)


def _workflow_place(message: Message) -> str:
    """``state/task`` (or ``state``) of a workflow's node, so an export reads as the run went."""
    if not isinstance(_field(message, "workflow"), str):
        return ""
    state, task = _field(message, "state"), _field(message, "task")
    if isinstance(state, str) and isinstance(task, str):
        return f"{state}/{task}"
    return state if isinstance(state, str) else ""


def _field(message: Message, name: str) -> object:
    # Declared or extra; plain `getattr` on a missing pydantic attribute raises inside, slowly.
    if name in message.__dict__:
        return message.__dict__[name]
    return (message.__pydantic_extra__ or {}).get(name)


def render_body(message: Message, format_version: int = FORMAT_VERSION) -> str:
    """The message as it reads in a file of `format_version`: its text (and, for an error,
    what failed). Format 1 left HTML and headings live; it is still rendered to import."""
    text = message.text
    if message.role == "error":
        partial = _field(message, "partial_text")
        quoted = "\n".join(f"> {line}".rstrip() for line in _visible(text).split("\n"))
        error = "> **Error:** " + quoted[2:]
        text = f"{partial}\n\n{error}" if isinstance(partial, str) and partial else error
    visible = _visible(text)
    if format_version > 1:
        visible = make_inert(visible)
    body = _close_open_blocks(visible).strip("\n")
    calls = _tool_calls(message)
    if calls:
        return f"{body}\n\n{calls}" if body.strip() else calls
    return body if body.strip() else "*(empty message)*"


def _tool_calls(message: Message) -> str:
    """The tool calls an assistant message carries, one list item each, so a reader of the
    file sees what the model asked for (the data block holds them exactly)."""
    calls = _field(message, "tool_calls")
    if not isinstance(calls, tuple):
        return ""
    items = []
    for call in calls:
        name = getattr(call, "name", None)
        arguments = getattr(call, "arguments", None)
        if isinstance(name, str) and isinstance(arguments, str):
            items.append(f"- **tool call** {inline_code(f'{name}({arguments})')}")
    return "\n".join(items)


def _close_open_blocks(text: str) -> str:
    """Close a code fence or end-marked HTML block left open, so the page after is intact."""
    fence: str | None = None
    html_end: str | None = None
    raw: str | None = None
    for line in text.split("\n"):
        if fence is not None:
            match = _FENCE.fullmatch(line)
            if (
                match is not None
                and match[1][0] == fence[0]
                and len(match[1]) >= len(fence)
                and not match[2].strip()
            ):
                fence = None
            continue
        if raw is not None:
            if _RAW_END.search(line):
                raw = None
            continue
        if html_end is not None:
            if html_end in line:
                html_end = None
            continue
        match = _FENCE.fullmatch(line)
        if match and not (match[1][0] == "`" and "`" in match[2]):
            fence = match[1]
            continue
        for start, end in _HTML_BLOCKS:
            found = start.match(line)
            if found is None:
                continue
            rest = line[found.end() :]
            if end is None:
                raw = None if _RAW_END.search(rest) else found[1].lower()
            elif end not in rest:
                html_end = end
            break
    if fence is not None:
        return f"{text}\n{fence}"
    if raw is not None:
        return f"{text}\n</{raw}>"
    if html_end is not None:
        return f"{text}\n{html_end}"
    return text


def comparable_lines(text: str) -> list[str]:
    """Lines as compared on import: line endings unified, trailing spaces and blank edges off."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    start = 0
    while start < len(lines) and not lines[start]:
        start += 1
    end = len(lines)
    while end > start and not lines[end - 1]:
        end -= 1
    return lines[start:end]
