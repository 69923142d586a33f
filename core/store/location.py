"""Where the default SQLite database lives."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATABASE_NAME", "default_database_path", "resolve_database_path"]

DATABASE_NAME = "ramify.sqlite3"


def default_database_path() -> Path:
    """``$RAMIFY_HOME/ramify.sqlite3`` if that is set, else under the user data directory."""
    home = os.environ.get("RAMIFY_HOME")
    if home:
        return Path(home).expanduser() / DATABASE_NAME
    from platformdirs import user_data_path

    return user_data_path("ramify", appauthor=False) / DATABASE_NAME


def resolve_database_path(path: str | os.PathLike[str] | None = None) -> Path:
    """An explicit `path` if given, else the default; the parent directory is created."""
    resolved = Path(path).expanduser() if path is not None else default_database_path()
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return resolved
