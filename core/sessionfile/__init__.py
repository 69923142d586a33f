"""Sessions as markdown files: export, import, atomic saves and replay of recorded timings.

A file reads as a conversation on GitHub (a section per branch, a heading per message, links
at branch points) and carries, in HTML comments, everything needed to rebuild the session
exactly. See docs/architecture.md, "Session files".
"""

from .atomic import write_atomic
from .errors import SessionFileError
from .export import export_markdown, render_markdown
from .image import SCOPES, Scope, SessionImage
from .importer import import_markdown, write_image
from .parse import MAX_FILE_BYTES, parse_session_file
from .reader import read_session_file
from .replay import DEFAULT_PACE, replay_chunks, replay_stream

__all__ = [
    "DEFAULT_PACE",
    "MAX_FILE_BYTES",
    "SCOPES",
    "Scope",
    "SessionFileError",
    "SessionImage",
    "export_markdown",
    "import_markdown",
    "parse_session_file",
    "read_session_file",
    "render_markdown",
    "replay_chunks",
    "replay_stream",
    "write_atomic",
    "write_image",
]
