"""What an export holds in each scope, and how it reads: anchors, links, escaping, display."""

from __future__ import annotations

import re

import pytest

from ramify.core import (
    AssistantMessage,
    BranchNotFound,
    MemoryStore,
    Message,
    Node,
    Session,
    Store,
    UserMessage,
)
from ramify.core.sessionfile.syntax import HEADER, anchor_prefix

from .bench_export import build_tree
from .helpers import tree_of

NODE = re.compile(r" node ([0-9a-f]{64}) -->")


async def _branched(store: Store) -> tuple[Session, list[Node]]:
    """main: q1 a1 q2 a2; edit-1 edits q2; side forks at a1; notes is a second root."""
    session = await Session.create(store, title="t")
    nodes = []
    for index, text in enumerate(["q1", "a1", "q2", "a2"]):
        message: Message = UserMessage(text=text) if index % 2 == 0 else AssistantMessage(text=text)
        nodes.append(await session.append(message, sender="USER" if index % 2 == 0 else "BOT"))
    await session.edit(nodes[2], UserMessage(text="q2 again"))
    await session.fork(nodes[1], "side")
    await session.append(UserMessage(text="side q"), branch="side")
    await session.append(UserMessage(text="a note"), branch="notes")
    return session, nodes


async def test_path_export_holds_the_branch_from_root_to_head(store: Store) -> None:
    session, nodes = await _branched(store)
    text = await session.export_markdown("path")
    assert NODE.findall(text) == [node.hash_key for node in nodes]
    assert "Branches here" not in text  # alternatives are not in this export, so not linked


async def test_related_holds_what_forks_off_the_path_but_not_other_roots(store: Store) -> None:
    session, _ = await _branched(store)
    related = set(NODE.findall(await session.export_markdown("related")))
    tree = set(NODE.findall(await session.export_markdown("tree")))
    everything, _, _ = await tree_of(session)
    assert tree == everything
    notes = {node.hash_key for node in await session.path("notes")}
    assert related == everything - notes


async def test_branch_defaults_to_the_active_branch(store: Store) -> None:
    session, _ = await _branched(store)
    await session.set_active_branch("side")
    side = [node.hash_key for node in await session.path("side")]
    assert NODE.findall(await session.export_markdown()) == side
    assert NODE.findall(await session.export_markdown(branch="side")) == side


async def test_unknown_branch_or_scope_is_refused(store: Store) -> None:
    session, _ = await _branched(store)
    with pytest.raises(BranchNotFound):
        await session.export_markdown("path", "nope")
    with pytest.raises(ValueError, match="scope"):
        await session.export_markdown("everything")  # type: ignore[arg-type]


async def test_empty_session_exports_as_a_tree_and_imports_back(store: Store) -> None:
    session = await Session.create(store, title="empty")
    text = await session.export_markdown("tree")
    async with MemoryStore() as target:
        imported = await Session.import_markdown(target, text)
        assert await imported.branches() == []
        assert imported.title == "empty"


async def test_every_link_points_at_an_anchor_of_the_same_file(store: Store) -> None:
    session, _ = await _branched(store)
    text = await session.export_markdown("tree")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links
    assert links <= anchors
    # q2 was edited and side forks after a1: both continue from a1.
    prefix = anchor_prefix(HEADER.match(text)[2])  # type: ignore[index]
    assert (
        f"> **Branches here:** [→ `edit-1`](#{prefix}branch-edit-1) · "
        f"[→ `side`](#{prefix}branch-side)"
    ) in text


async def test_each_message_has_a_heading_with_sender_model_and_minute(store: Store) -> None:
    session = await Session.create(store)
    await session.append(AssistantMessage(text="hi", model="gpt-x"), sender="BOT")
    text = await session.export_markdown()
    heading = next(line for line in text.split("\n") if line.startswith("### "))
    assert re.fullmatch(
        r'### <a id="r[0-9a-f]{8}-n-[0-9a-f]{12}"></a>BOT · gpt-x · \d{4}-\d\d-\d\dT\d\d:\d\dZ',
        heading,
    )


async def test_text_that_looks_like_file_structure_stays_in_its_message(store: Store) -> None:
    inner = await Session.create(store, title="inner")
    await inner.append(UserMessage(text="an export inside an export"))
    pasted = await inner.export_markdown("tree")
    tricky = [
        pasted,
        "-->\n<!--\n---\n# user\n# assistant / gpt\n===\n<!-- ramify-session format=1 -->",
        "```python\nunclosed = True",
        "<pre>\nnever closed",
        "<!-- an open comment",
        "\x1b[31mred\x1b[0m, a bell \x07, a DEL \x7f, crlf\r\nand cr\ronly",
        "",
        "   \n\t\n",
    ]
    session = await Session.create(store, title="outer")
    for text in tricky:
        await session.append(UserMessage(text=text))
    exported = await session.export_markdown()
    assert exported.count("\n<!-- ramify:") > len(tricky)
    async with MemoryStore() as target:
        imported = await Session.import_markdown(target, exported)
        assert [str(m) for _, m in await imported.path_messages("main")] == tricky


async def test_display_closes_what_a_message_leaves_open_and_shows_controls(store: Store) -> None:
    session = await Session.create(store)
    await session.append(UserMessage(text="```python\nx = 1"))
    await session.append(UserMessage(text="bell \x07 and \x1b[1m"))
    text = await session.export_markdown()
    assert "```python\nx = 1\n```\n" in text
    assert "bell \u2407 and \u241b[1m" in text
    assert "\x07" not in text
    assert "\x1b" not in text


async def test_names_with_markdown_specials_are_escaped_not_interpreted(store: Store) -> None:
    session = await Session.create(store, title="a *bold* <b>title</b> # x")
    await session.append(UserMessage(text="hi"), sender="we_ird <i>sender</i>", branch="b`r anch")
    text = await session.export_markdown("tree", "b`r anch")
    assert "# a \\*bold\\* \\<b\\>title\\</b\\> \\# x" in text
    assert "we\\_ird \\<i\\>sender\\</i\\>" in text
    prefix = anchor_prefix(HEADER.match(text)[2])  # type: ignore[index]
    assert f'## <a id="{prefix}branch-b-r-anch"></a>Branch ``b`r anch``' in text
    async with MemoryStore() as target:
        imported = await Session.import_markdown(target, text)
        assert [ref.name for ref in await imported.branches()] == ["b`r anch"]
        assert imported.title == "a *bold* <b>title</b> # x"


async def test_forwarded_message_brings_its_source_from_another_session(store: Store) -> None:
    source = await Session.create(store)
    await source.append(UserMessage(text="origin q"))
    origin = await source.append(AssistantMessage(text="origin a"), sender="BOT")
    session = await Session.create(store)
    await session.append(UserMessage(text="here"))
    forwarded = await session.forward(origin, "main")
    text = await session.export_markdown("path")
    hashes = set(NODE.findall(text))
    assert {node.hash_key for node in await source.path(origin)} <= hashes
    assert "Unnamed branch 1" in text
    async with MemoryStore() as target:
        imported = await Session.import_markdown(target, text)
        assert (await imported.head("main")) == forwarded


async def test_heads_left_behind_by_undo_are_in_the_tree(store: Store) -> None:
    session = await Session.create(store)
    await session.append(UserMessage(text="kept"))
    dropped = await session.append(UserMessage(text="undone"))
    await session.undo("main")
    text = await session.export_markdown("tree")
    assert dropped.hash_key in NODE.findall(text)
    async with MemoryStore() as target:
        imported = await Session.import_markdown(target, text)
        assert (await tree_of(imported))[0] == (await tree_of(session))[0]


async def test_remembered_children_outside_the_export_are_left_out(store: Store) -> None:
    session, nodes = await _branched(store)
    edited = await session.head("edit-1")
    assert edited is not None
    await session.remember_child(nodes[1], edited)
    assert '"remembered_children":{}' in await session.export_markdown("path")
    assert edited.hash_key in (await session.export_markdown("related")).split("remembered")[1]


async def test_deeply_nested_branches_export_without_hitting_recursion_limits() -> None:
    async with MemoryStore() as store:
        session = await Session.create(store)
        message = UserMessage(text="x")
        nodes, parent = [], None
        for index in range(1500):
            node = Node(message=message.hash_key, parent=parent, sender=f"S{index}")
            nodes.append(node)
            parent = node.hash_key
        await store.put_nodes(nodes, [message], session_id=session.id)
        for index in range(0, 1500, 2):
            # A branch per second node: each forks off the one before, so sections nest.
            await store.move_ref(
                session.id, f"b{index:04d}", nodes[index].hash_key, expected=None, reason="t"
            )
        text = await session.export_markdown("tree", "b0000")
        assert len(NODE.findall(text)) == 1500
        async with MemoryStore() as target:
            imported = await Session.import_markdown(target, text)
            assert (await tree_of(imported))[:2] == (await tree_of(session))[:2]


async def test_a_2000_node_tree_goes_through_sqlite_and_back(
    store: Store, other_store: Store
) -> None:
    session = await build_tree(store, 2000)
    text = await session.export_markdown("tree")
    imported = await Session.import_markdown(other_store, text)
    assert await tree_of(imported) == await tree_of(session)
    assert await imported.export_markdown("tree") == text
