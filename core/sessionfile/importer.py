"""Write a validated `SessionImage` into a store as a new session."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import PurePath
from typing import TYPE_CHECKING

from ..errors import RunNotFound, SessionNotFound
from ..store.base import Store
from ..tree import Node
from .image import SessionImage
from .parse import MAX_FILE_BYTES, parse_session_file

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["content_digest", "import_markdown", "write_image"]

# Above this size the file is parsed in a worker thread, so the event loop stays responsive.
_PARSE_IN_THREAD = 256 * 1024


async def import_markdown(
    store: Store,
    text: str | bytes,
    *,
    title: str | None = None,
    source: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Session:
    """Open a session file as a session of `store` and return it.

    A Ramify export comes back as it was: the same node hashes, branches, active branch, runs
    and times (so exporting it again gives the same file). It keeps its session id unless
    `store` already has that id; then the session, and its runs, get new ids. A hand-written
    conversation (``# user`` / ``# assistant`` headings) becomes a linear session on branch
    ``main``.

    Opening a file again reopens the session it became (the store remembers a digest of each
    imported file's content), and an export of a session that `store` still holds, with every
    node of the file, reopens that session: nothing is copied.

    The whole file is validated before anything is written, and then written in one
    transaction: on `SessionFileError` (which names `source` and the line), or on any failure,
    cancel or crash while writing, the store is unchanged.
    """
    digest = content_digest(text)
    known = await store.imported_session(digest)
    if known is not None:
        from ..session import Session

        return await Session.open(store, known)
    if len(text) > _PARSE_IN_THREAD:
        image = await asyncio.to_thread(
            parse_session_file, text, source=source, max_bytes=max_bytes
        )
    else:
        image = parse_session_file(text, source=source, max_bytes=max_bytes)
    if title is not None:
        image.record.title = title
    elif not image.record.title and source:
        image.record.title = PurePath(source).name
    return await write_image(store, image, digest=digest)


def content_digest(text: str | bytes) -> str:
    """What identifies a session file's content: the sha256 of its bytes."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


async def write_image(store: Store, image: SessionImage, *, digest: str) -> Session:
    """Store `image` as a session, in one transaction (see `import_markdown` for how ids are
    kept); `digest` identifies its file, so the same file reopens this session."""
    from ..session import Session

    record = image.record.model_copy(deep=True)
    keep_ids = bool(record.id) and not await _session_exists(store, record.id)
    if not keep_ids and record.id and await _holds_every_node(store, record.id, image):
        return await Session.open(store, record.id)
    if keep_ids:
        keep_ids = not await _any_run_exists(store, [run.id for run in image.runs])
    else:
        record.id = uuid.uuid4().hex
    run_ids = {run.id: run.id if keep_ids else uuid.uuid4().hex for run in image.runs}
    nodes = [
        node if keep_ids or node.run_id not in run_ids else _with_run_id(node, run_ids[node.run_id])
        for node in image.nodes.values()
    ]
    runs = []
    for run in image.runs:
        copy = run.model_copy(deep=True)
        copy.id = run_ids[run.id]
        copy.session_id = record.id
        if copy.parent_run_id is not None:
            copy.parent_run_id = run_ids.get(copy.parent_run_id, copy.parent_run_id)
        runs.append(copy)
    session_id = await store.put_imported_session(
        record, nodes, list(image.messages.values()), image.refs, runs, digest=digest
    )
    return await Session.open(store, session_id)


async def _holds_every_node(store: Store, session_id: str, image: SessionImage) -> bool:
    held = {node.hash_key for node in await store.session_nodes(session_id)}
    return held.issuperset(image.nodes)


async def _session_exists(store: Store, session_id: str) -> bool:
    try:
        await store.get_session(session_id)
    except SessionNotFound:
        return False
    return True


async def _any_run_exists(store: Store, run_ids: list[str]) -> bool:
    for run_id in run_ids:
        try:
            await store.get_run(run_id)
        except RunNotFound:
            continue
        return True
    return False


def _with_run_id(node: Node, run_id: str) -> Node:
    # run_id is provenance, outside the hash: the node keeps its identity.
    return Node(
        message=node.message,
        parent=node.parent,
        sender=node.sender,
        forwarded_from=node.forwarded_from,
        run_id=run_id,
        created_at=node.created_at,
    )
