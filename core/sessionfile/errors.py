"""The one error a session file raises when it cannot be imported."""

from __future__ import annotations

__all__ = ["SessionFileError"]


class SessionFileError(ValueError):
    """A session file that cannot be imported; the message names the file, the line and why.

    Attributes:
        reason: what is wrong, and what to do about it.
        line: the 1-based line it was found on, if known.
        source: the file's name, if the caller gave one.
    """

    def __init__(self, reason: str, *, line: int | None = None, source: str | None = None) -> None:
        self.reason = reason
        self.line = line
        self.source = source
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = (self.source or "", "" if self.line is None else f"line {self.line}")
        prefix = ", ".join(part for part in parts if part)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def from_source(self, source: str | None) -> SessionFileError:
        """The same error, naming `source` as the file."""
        return SessionFileError(self.reason, line=self.line, source=source)
