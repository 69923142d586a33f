"""A session with every kind of record in it, and a full picture of a store for comparing."""

from __future__ import annotations

from typing import Any

from ramify.core import USER, InteractionContext, Session, Store, UserMessage, agent

HAND_WRITTEN_CHAT = "# user\n\nhello from a file\n\n# assistant / model\n\nhi from a file\n"


@agent
async def counting(ctx: InteractionContext, suffix: str = "") -> None:
    """Replies with how many messages it saw."""
    history = await ctx.message_promises
    ctx.reply(f"seen {len(history)}{suffix}")


async def populate(store: Store) -> list[str]:
    """Fill `store` with three sessions (runs, forks, a forward across sessions, a rename, a
    deleted branch, a rerun, an import) and return their ids. Needs a running `Ramify`."""
    rich = await Session.create(store, title="rich")
    question = await rich.append(UserMessage(text="first question"), sender=USER)
    await rich.inquire(counting, branch="main")
    reply = await rich.head("main")
    assert reply is not None
    await rich.fork(question, "side")
    await rich.append(UserMessage(text="on the side"), branch="side")
    await rich.forward(reply, "side")
    await rich.rename_branch("side", "aside")
    await rich.fork(question, "gone")
    await rich.append(UserMessage(text="soon gone"), branch="gone")
    await rich.delete_branch("gone")
    await rich.rerun(reply, counting.fork(suffix=" again"))  # type: ignore[attr-defined]
    await rich.remember_child(question, reply)
    await rich.set_active_branch("aside")

    imported = await Session.import_markdown(store, HAND_WRITTEN_CHAT, source="chat.md")

    forwarding = await Session.create(store, title="forwarding")
    await forwarding.append(UserMessage(text="elsewhere"), sender=USER)
    # Its source node stays in the rich session: a copy of this one alone must bring it along.
    await forwarding.forward(reply, "main")
    return [rich.id, imported.id, forwarding.id]


async def picture(store: Store, session_id: str) -> dict[str, Any]:
    """Everything a store holds about one session, in the store's own orders."""
    nodes = await store.session_nodes(session_id)
    hashes = sorted(node.hash_key for node in nodes)
    by_hash = {node.hash_key: node for node in nodes}
    messages = await store.get_messages(sorted({node.message for node in nodes}))
    outside = {
        key
        for node in nodes
        for key in (node.parent, node.forwarded_from)
        if key is not None and key not in by_hash
    }
    outside_nodes = [await store.get_node(key) for key in sorted(outside)]
    return {
        "record": (await store.get_session(session_id)).model_dump(),
        "nodes": [
            (key, by_hash[key].to_data(), by_hash[key].run_id, by_hash[key].created_at)
            for key in hashes
        ],
        "outside": [(node.hash_key, node.to_data()) for node in outside_nodes],
        "messages": {key: message.to_data() for key, message in messages.items()},
        "refs": [ref.model_dump() for ref in await store.list_refs(session_id)],
        "reflog": [entry.model_dump() for entry in await store.reflog(session_id)],
        "runs": [run.model_dump() for run in await store.list_runs(session_id=session_id)],
        "digests": await store.import_digests(session_id),
    }


async def whole_picture(store: Store) -> dict[str, Any]:
    """`picture` of every session, with the list of sessions and the node count."""
    records = await store.list_sessions()
    return {
        "sessions": [record.id for record in records],
        "count": await store.count_nodes(),
        "each": {record.id: await picture(store, record.id) for record in records},
    }
