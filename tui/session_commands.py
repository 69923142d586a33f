"""`ramify export`, `ramify import` and `ramify sessions`: session files from the command line.

Plain async functions the argument parser calls. Each opens the chosen store (the default
session database unless told otherwise),
returns the exit code, and reports a failure as one line on stderr that says what to do
(never a traceback).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ramify.core import SessionRecord, Store

__all__ = ["export_command", "import_command", "sessions_command"]

OK = 0
FAILED = 1
USAGE = 2


class _CommandFailed(Exception):
    """A failure to report in one line, with its exit code."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


async def export_command(
    session_ref: str | None,
    scope: str = "path",
    branch: str | None = None,
    output: Path | None = None,
    *,
    store: str | None = None,
) -> int:
    """Write a session as markdown to `output` (atomically), or to stdout.

    Args:
        session_ref: a session id, a unique id prefix or an exact title; None for the most
            recently updated session.
        scope: ``path``, ``related`` or ``tree`` (see `ramify.core.sessionfile`).
        branch: the branch to export; defaults to the session's active branch.
        store: the store location (a path or URL; None: the default database).
    """
    from ramify.core import Session
    from ramify.core.sessionfile import SCOPES, write_atomic

    if scope not in SCOPES:
        return _fail(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}", USAGE)

    async def body(store: Store) -> int:
        record = await _find_session(store, session_ref)
        session = await Session.open(store, record.id)
        # Checked for every scope: "tree" would otherwise export without the branch.
        branches = [ref.name for ref in await session.branches()]
        if branch is not None and branch not in branches:
            names = ", ".join(branches) or "none yet"
            raise _CommandFailed(
                f"session {record.id[:12]} has no branch {branch!r}; its branches: {names}"
            )
        text = await session.export_markdown(scope, branch)
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return OK
        try:
            await write_atomic(output, text)
        except OSError as error:
            raise _CommandFailed(f"cannot write {output}: {error.strerror or error}") from None
        print(f"ramify: wrote {_describe(record)} ({scope}) to {output}", file=sys.stderr)
        return OK

    return await _with_store(body, store)


async def import_command(path: Path, *, store: str | None = None) -> int:
    """Import a session file (a Ramify export, or a hand-written chat) as a new session."""
    from ramify.core import Session
    from ramify.core.sessionfile import SessionFileError, read_session_file

    try:
        data = await read_session_file(path)
    except SessionFileError as error:
        return _fail(f"cannot import: {error}")
    except FileNotFoundError:
        return _fail(f"no such file: {path}")
    except OSError as error:
        return _fail(f"cannot read {path}: {error.strerror or error}")

    async def body(store: Store) -> int:
        known = {record.id for record in await store.list_sessions()}
        try:
            session = await Session.import_markdown(store, data, source=str(path))
        except SessionFileError as error:
            raise _CommandFailed(f"cannot import: {error}") from None
        branches = await session.branches()
        nodes = await store.session_nodes(session.id)
        # The same file (or an export of a session held here) reopens its session: no copy.
        done = "already imported" if session.id in known else "imported"
        print(
            f"{done} {path} as session {session.id[:12]} "
            f"({len(nodes)} messages on {len(branches)} branch{'es' if len(branches) != 1 else ''}"
            f"): {session.title or '(untitled)'}"
        )
        return OK

    return await _with_store(body, store)


async def sessions_command(*, store: str | None = None) -> int:
    """List the stored sessions, most recently used first, with their sizes."""
    from ramify.tui.sanitize import snippet

    async def body(store: Store) -> int:
        summaries = await store.session_summaries()
        if not summaries:
            print("no sessions yet: run `ramify` to start one, or `ramify import FILE`")
            return OK
        print(f"{'ID':<12}  {'UPDATED (UTC)':<16}  {'MESSAGES':>8}  {'BRANCHES':>8}  TITLE")
        for summary in summaries:
            record = summary.record
            branches = len(await store.list_refs(record.id))
            updated = time.strftime("%Y-%m-%d %H:%M", time.gmtime(record.updated_at))
            # Titles and messages come from outside: one line, control characters made visible.
            title = snippet(record.title, 80) or snippet(summary.first_text, 80) or "(untitled)"
            print(
                f"{record.id[:12]:<12}  {updated:<16}  {summary.message_count:>8}  "
                f"{branches:>8}  {title}"
            )
        return OK

    return await _with_store(body, store)


async def _with_store(body: Callable[[Store], Awaitable[int]], location: str | None) -> int:
    from ramify.core import StoreError
    from ramify.core.redact import redact_urls
    from ramify.tui.store_commands import open_chosen_store

    store = await open_chosen_store(location)
    if isinstance(store, str):
        return _fail(store)
    try:
        return await body(store)
    except _CommandFailed as error:
        return _fail(str(error), error.code)
    except StoreError as error:
        return _fail(redact_urls(str(error)))
    finally:
        await store.close()


async def _find_session(store: Store, ref: str | None) -> SessionRecord:
    records = await store.list_sessions()
    if not records:
        raise _CommandFailed("no sessions yet: run `ramify` to start one, or `ramify import FILE`")
    if ref is None:
        return records[0]
    for record in records:
        if record.id == ref:
            return record
    matches = [record for record in records if record.id.lower().startswith(ref.lower())]
    if not matches:
        matches = [record for record in records if record.title == ref]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _CommandFailed(
            f"{ref!r} matches {len(matches)} sessions: give more characters of the id "
            "(`ramify sessions` lists them)",
            USAGE,
        )
    raise _CommandFailed(f"no session matches {ref!r}; `ramify sessions` lists them", USAGE)


def _describe(record: SessionRecord) -> str:
    title = " ".join(record.title.split())
    return f"session {record.id[:12]}" + (f" ({title})" if title else "")


def _fail(message: str, code: int = FAILED) -> int:
    print(f"ramify: {message}", file=sys.stderr)
    return code
