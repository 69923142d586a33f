"""A console chat, recorded as a Ramify session, until the Textual IDE lands.

It shows the core working end to end on a fresh machine: each turn is appended to a session
in the default SQLite store, the configured agent (the offline demo model when no key is
set) streams its reply token by token, and the reply is recorded as a node.
"""

from __future__ import annotations

import asyncio
import sys

BANNER = """Ramify {version} - console chat (the Textual IDE is on its way)
Agent: {agent}   Session: {session}   Store: {store}
Type a message and press Enter. Ctrl+D or Ctrl+C quits; the conversation is saved.
"""


async def _chat(force_demo: bool) -> int:
    from importlib.metadata import version

    from ramify.core import USER, Ramify, Session, SQLiteStore, StoreError, UserMessage
    from ramify.core.llm import ConfigError, agent_for_model, demo_agent
    from ramify.core.store.location import resolve_database_path

    try:
        chosen = demo_agent if force_demo else agent_for_model(None)
    except ConfigError as error:
        print(f"ramify: {error}; using the demo model", file=sys.stderr)
        chosen = demo_agent
    path = resolve_database_path()
    try:
        store = SQLiteStore(path)
        await store.open()
    except StoreError as error:
        print(f"ramify: {error}", file=sys.stderr)
        return 1
    try:
        async with Ramify(errors_as_messages=True, shutdown_timeout=2.0):
            session = await Session.create(store, title="console chat")
            print(
                BANNER.format(
                    version=version("ramify"), agent=chosen.alias, session=session.id, store=path
                )
            )
            while True:
                try:
                    text = await asyncio.to_thread(input, "you> ")
                except (EOFError, KeyboardInterrupt):
                    print()
                    return 0
                if not text.strip():
                    continue
                await session.append(UserMessage(text=text), sender=USER)
                replies = session.inquire(chosen)
                try:
                    async for promise in replies:
                        print(f"\n{promise.agent_alias or chosen.alias}> ", end="", flush=True)
                        async for chunk in promise.chunks():
                            print(chunk, end="", flush=True)
                        print("\n")
                except KeyboardInterrupt:
                    replies.cancel()
                    await replies.recorded()
                    print("\n[cancelled; the partial reply is kept]")
    finally:
        await store.close()


def run_demo(force_demo: bool = False) -> int:
    """Run the console chat; returns the process exit code."""
    try:
        return asyncio.run(_chat(force_demo))
    except KeyboardInterrupt:
        return 0
