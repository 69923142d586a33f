"""`DisplayTextArea`: a text area that stores the text as typed and draws its display form."""

from __future__ import annotations

from rich.cells import cell_len
from textual.document._document import Document
from textual.document._document_navigator import DocumentNavigator
from textual.document._wrapped_document import WrappedDocument
from textual.geometry import Size
from textual.widgets import TextArea

from ramify.tui.sanitize import editor_form


class DisplayDocument(Document):
    """A `Document` that stores the text as typed but is measured and drawn in `editor_form`.

    A ZWJ emoji (👨‍👩‍👧) is one 2-cell glyph to Rich but three emoji, 6 cells, in many terminals:
    the rest of its line was drawn 4 cells off and its border scrambled; and an escape sequence
    in a text being edited reached the terminal raw. The text area reads lines to measure, wrap,
    place the cursor and draw them; given the editor form (the same length, so columns still
    match), every terminal draws what Rich measured. `text` and edits keep what was typed.
    """

    @property
    def lines(self) -> list[str]:
        return [editor_form(line) for line in self._lines]

    def __getitem__(self, line_index: int | slice) -> str | list[str]:  # type: ignore[override]
        if isinstance(line_index, slice):
            return [editor_form(line) for line in self._lines[line_index]]
        return editor_form(self._lines[line_index])

    def get_size(self, tab_width: int) -> Size:
        widths = [cell_len(editor_form(line).expandtabs(tab_width)) for line in self._lines]
        return Size(max(widths, default=0), len(self._lines))


class DisplayTextArea(TextArea):
    """A `TextArea` over a `DisplayDocument`: it edits the text as typed and draws it safely."""

    def _set_document(self, text: str, language: str | None) -> None:
        # The one place Textual 8.2.8 (pinned) builds a text area's document: use ours.
        super()._set_document(text, language)
        self.document = DisplayDocument(text)
        self.wrapped_document = WrappedDocument(self.document, tab_width=self.indent_width)
        self.navigator = DocumentNavigator(self.wrapped_document)
        self._rewrap_and_refresh_virtual_size()
