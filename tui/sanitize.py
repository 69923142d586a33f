"""Make model output safe to show: control characters become visible symbols.

Model output is text, never markup or terminal control. An ESC (``\\x1b``) reaching the terminal
would let a reply recolour or move the cursor, so every C0/C1 control character except newline and
tab is swapped for its Unicode "control picture" (``\\x1b`` -> ``␛``), which the reader still sees.
"""

from __future__ import annotations

_KEEP = {"\n", "\t"}


def _picture(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"\\x{code:02x}"


_TABLE = {
    code: _picture(code)
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
    if chr(code) not in _KEEP
}


def sanitize(text: str) -> str:
    """Return ``text`` with control characters (not newline/tab) replaced by visible symbols."""
    return text.replace("\r\n", "\n").translate(_TABLE)


def snippet(text: str, width: int = 48) -> str:
    """One sanitised line of at most ``width`` characters, for labels."""
    line = " ".join(sanitize(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"
