"""Message text made inert: markdown that cannot change the document it is placed in.

A message body sits between the headings and anchors of a session file, so its markdown
must stay inside its own section. Three things in it could reach out, and each is disarmed:

* raw HTML, block or inline (an unclosed ``<details>`` folds every later message into it, a
  stray ``</div>`` closes the page's own element, an ``<a id>`` steals an anchor): its
  opening ``<`` is backslash-escaped, so it shows as the text it is;
* headings of levels 1 to 3, which the file uses for its title, branches and messages (a
  ``### USER · ...`` line would read as a message of its own): ``#`` headings move three
  levels down, under the message's heading, and a setext underline is escaped;
* a code fence left open, which would swallow the rest of the file: it is closed (see
  `display.render_body`).

The body is parsed with markdown-it (CommonMark, as GitHub reads it) and rewritten until it
parses clean. A body that does not settle, or one too long to parse quickly
(`MAX_PARSED_CHARS`: markdown-it takes seconds on a few hundred KB of lists), is shown
fenced, as plain text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["MAX_PARSED_CHARS", "make_inert"]

MAX_PARSED_CHARS = 64 * 1024
"""Longer bodies that may hold HTML or headings are fenced rather than parsed."""

# Cheap test for text that may hold HTML or a heading; most messages skip the parser.
_MAYBE_STRUCTURE = re.compile(r"<|^[ \t>*+\-\d.)]*#|^[ \t>]*(?:=+|-+)[ \t]*$", re.MULTILINE)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_BACKTICKS = re.compile(r"`+")
# Rewrites needed per pass are independent, so a body settles in one or two passes; this
# bound only guards against a parser surprise.
_MAX_PASSES = 8
# Levels 1-3 are the file's own (title, branch, message); a body's headings go below them.
_LEVEL_SHIFT = 3


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Imported on first export, not with `ramify.core`.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def make_inert(text: str) -> str:
    """`text` rewritten so that no HTML and no heading of level 1-3 remains in it."""
    if not _MAYBE_STRUCTURE.search(text):
        return text
    if len(text) > MAX_PARSED_CHARS:
        return _fenced(text)
    current = text
    for _ in range(_MAX_PASSES):
        lines = current.split("\n")
        if not _rewrite(_parser().parse(current), lines):
            return current
        current = "\n".join(lines)
    return _fenced(text)


def _rewrite(tokens: list[Token], lines: list[str]) -> bool:
    """Disarm in `lines` (in place) what `tokens` show; whether anything needed it."""
    changed = False
    for token in tokens:
        if token.map is None:
            continue
        first, end = token.map
        if token.type == "html_block":
            lines[first] = lines[first].replace("<", "\\<", 1)
            changed = True
        elif token.type == "heading_open" and token.markup in ("=", "-"):
            underline = end - 1
            lines[underline] = lines[underline].replace(token.markup, "\\" + token.markup, 1)
            changed = True
        elif token.type == "heading_open" and int(token.tag[1:]) <= _LEVEL_SHIFT:
            lines[first] = _demoted(lines[first], int(token.tag[1:]))
            changed = True
        elif token.type == "inline" and any(
            child.type == "html_inline" for child in token.children or ()
        ):
            escaped = _escape_tags("\n".join(lines[first:end])).split("\n")
            lines[first:end] = escaped
            changed = True
    return changed


def _demoted(line: str, level: int) -> str:
    # Whatever precedes the first "#" is container markup (">", "-", "1.", spaces).
    start = line.index("#")
    return line[:start] + "#" * (level + _LEVEL_SHIFT) + line[start + level :]


def _escape_tags(text: str) -> str:
    """Backslash each ``<`` that could open a tag, outside code spans."""
    out: list[str] = []
    position = 0
    while position < len(text):
        tick = _BACKTICKS.search(text, position)
        stop = tick.start() if tick else len(text)
        out.append(_escape_tags_in_plain(text[position:stop]))
        if tick is None:
            break
        closing = _closing_run(text, tick)
        out.append(text[tick.start() : closing])
        position = closing
    return "".join(out)


def _closing_run(text: str, opening: re.Match[str]) -> int:
    """The end of the code span `opening` starts, or of the backticks alone if unclosed."""
    size = len(opening.group())
    for run in _BACKTICKS.finditer(text, opening.end()):
        if len(run.group()) == size:
            return run.end()
    return opening.end()


def _escape_tags_in_plain(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        start = backslashes = match.start()
        while backslashes > 0 and text[backslashes - 1] == "\\":
            backslashes -= 1
        return match.group() if (start - backslashes) % 2 else "\\<"

    return _TAG_START.sub(escape, text)


def _fenced(text: str) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"
