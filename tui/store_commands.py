"""Which store a command uses, opening it with one-line errors, and `ramify store copy`.

The store is the ``--store`` flag, else ``RAMIFY_STORE``, else ``store = "..."`` in the
config, else the default SQLite database (`ramify.core.store.choice`). Every location
shown goes through `describe_store`, which masks a URL's password.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ramify.core import Store

__all__ = ["DEFAULT_WORD", "chosen_store", "open_chosen_store", "store_copy_command"]

DEFAULT_WORD = "default"
"""What `ramify store copy` reads as the default SQLite database."""

OK = 0
FAILED = 1


def _say(text: str) -> None:
    print(f"ramify: {text}", file=sys.stderr)


def chosen_store(flag: str | None) -> tuple[str | None, list[str]]:
    """The store location to use (None: the default database) and notices about it: a config
    that cannot be read (then the config names no store), a password in the URL."""
    from ramify.core.llm import ConfigError, load_config
    from ramify.core.store.choice import choose_store_location, password_warning

    notices: list[str] = []
    configured = None
    try:
        configured = load_config().store
    except ConfigError as error:
        notices.append(f"{error}; the config's store setting is not used")
    location = choose_store_location(flag, configured)
    warning = password_warning(location)
    if warning:
        notices.append(warning)
    return location, notices


async def open_chosen_store(location: str | None) -> Store | str:
    """The store at `location`, opened, or the one line saying why it cannot be."""
    from ramify.core import StoreError
    from ramify.core.redact import redact_urls
    from ramify.core.store.choice import describe_store, open_store

    try:
        store = open_store(location)
        await store.open()
    except StoreError as error:
        # A store's own message may quote its URL: masked here whatever the store does.
        return redact_urls(str(error))
    except OSError as error:
        reason = error.strerror or error
        return f"cannot open the session database {describe_store(location)}: {reason}"
    return store


async def store_copy_command(source: str, target: str, sessions: Sequence[str] | None) -> int:
    """Copy the sessions of store `source` (all, or those named) into store `target`."""
    from ramify.core import StoreError
    from ramify.core.redact import redact_urls
    from ramify.core.store.choice import describe_store, password_warning
    from ramify.core.store.copy import copy_store
    from ramify.tui.sanitize import snippet

    locations = [None if where == DEFAULT_WORD else where for where in (source, target)]
    for location in locations:
        warning = password_warning(location)
        if warning:
            _say(warning)
    names = [describe_store(location) for location in locations]
    if source == target:
        _say(f"the source and the destination are the same store ({names[0]}): nothing to copy")
        return FAILED
    opened: list[Store] = []
    try:
        for location in locations:
            store = await open_chosen_store(location)
            if isinstance(store, str):
                _say(store)
                return FAILED
            opened.append(store)
        src, dst = opened
        copies = await copy_store(src, dst, sessions=sessions)
    except StoreError as error:
        _say(redact_urls(str(error)))
        return FAILED
    finally:
        for store in opened:
            await store.close()
    for copy in copies:
        title = snippet(copy.title, 60) or "(untitled)"
        line = f"copied session {copy.session_id[:12]} ({title}): {copy.nodes} new nodes"
        for branch, kept in copy.diverged.items():
            line += (
                f"; branch {snippet(branch, 40)} moved in both stores: the source's head is "
                f"on {snippet(kept, 40)}"
            )
        print(line)
    print(f"{len(copies)} session{'s' if len(copies) != 1 else ''} from {names[0]} to {names[1]}")
    return OK
