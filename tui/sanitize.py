"""The one path by which text from outside reaches the screen: literal, visible, width-true.

Model output, agent and provider errors, file, branch, session and agent names and config values
all come from outside. Shown through Rich/Textual markup, `[/]` crashed the IDE and
`[@click=app.screenshot(...)]` became a clickable action; written raw, an escape sequence set the
clipboard (OSC 52), the window title or cleared the screen. So every widget shows such text
through this module:

- `sanitize`: the display form of a text. Every C0/C1 control character except newline and tab
  becomes its Unicode "control picture" (``\\x1b`` -> ``␛``), which the reader still sees.
  Zero-width joiners and emoji variation selectors are left out: terminals disagree on how wide
  the glyph they join is (👨‍👩‍👧 is 2 cells in some, 6 in others, and Rich counts 2), and a line
  drawn wider than Rich measured pushes the rest of it out of place. Without them every terminal
  draws each emoji on its own, as wide as Rich counts. Stored text keeps them.
- `editor_form`: the same for a line in an editor (the composer, the edit dialog), one
  character for one, so cursor columns still match the text being edited.
- `literal`: a Rich `Text` of the display form (Rich `Text` never parses markup).
- `snippet` and `one_line`: one display-form line, for labels and toasts.

`RamifyApp.notify` passes every toast through `sanitize` with markup off, whatever the caller asks.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text

_KEEP = {"\n", "\t"}

_JOINERS = ("\u200d", "\ufe0f")
"""Zero-width joiner and variation selector 16: they make a glyph whose width terminals disagree
on."""


def _picture(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"\\x{code:02x}"


_TABLE: dict[int, str | None] = {
    code: _picture(code)
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
    if chr(code) not in _KEEP
}
_TABLE.update({ord(joiner): None for joiner in _JOINERS})


def sanitize(text: str) -> str:
    """The display form of `text`: control characters (not newline/tab) as visible symbols,
    zero-width joiners and emoji variation selectors left out."""
    return text.replace("\r\n", "\n").translate(_TABLE)


_EDITOR_TABLE: dict[int, str] = {
    **{code: picture for code, picture in _TABLE.items() if picture is not None and code < 0x80},
    **{code: "\ufffd" for code in range(0x80, 0xA0)},
    **{ord(joiner): "\u200b" for joiner in _JOINERS},
}


def editor_form(line: str) -> str:
    """One line of an editor (no newline in it) as it is drawn: one character for one.

    Control characters become their pictures (a C1 one `\ufffd`) and joiners zero-width
    spaces, so, like `sanitize`, nothing reaches the terminal raw and every emoji is drawn on
    its own, as wide as Rich counts it; and the length stays the same, so the editor's cursor
    columns still match the text it stores.
    """
    return line.translate(_EDITOR_TABLE)


def literal(text: str, style: StyleType = "") -> Text:
    """`text` in display form as a Rich `Text`: shown as written, never parsed as markup."""
    return Text(sanitize(text), style=style)


def snippet(text: str, width: int = 48) -> str:
    """One sanitised line of at most ``width`` characters, for labels."""
    line = " ".join(sanitize(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def one_line(error: BaseException | str) -> str:
    """An error (or any text) as one sanitised line: its message, or its type if it has none."""
    text = error if isinstance(error, str) else str(error) or type(error).__name__
    return " ".join(sanitize(text).split())
