"""Import: hand-written chats, id clashes, and every kind of bad input (refused whole, with the
line, leaving the store as it was)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ramify.core import (
    USER,
    AssistantMessage,
    Message,
    Session,
    Store,
    SystemMessage,
    UserMessage,
)
from ramify.core.agents.history import render_markdown_history
from ramify.core.frozen import frozen_from_data
from ramify.core.sessionfile import MAX_FILE_BYTES, SessionFileError, import_markdown
from ramify.core.sessionfile.syntax import FORMAT_VERSION

from .conftest import SESSIONS
from .helpers import data_lines, edit_metadata, line_of, snapshot, tree_of

GOLDEN = (SESSIONS / "branched.tree.md").read_text(encoding="utf-8")
ITEMS = [json.loads(GOLDEN.split("\n")[index]) for index in data_lines(GOLDEN)]
NODES = [item for item in ITEMS if item["kind"] == "node"]


# --- hand-written markdown ---


async def test_hand_written_chat_opens_as_a_linear_main_branch(store: Store) -> None:
    text = (
        "system\n======\nBe brief.\n\n"
        "# user\nWhat is 2 + 2?\n\n"
        "assistant / gpt-4o\n==================\nIt is 4.\n\n## Working\n2 + 2 = 4\n\n"
        "# user\nThanks!\n"
    )
    session = await Session.import_markdown(store, text, source="notes/CHAT.md")
    assert session.title == "CHAT.md"
    assert [ref.name for ref in await session.branches()] == ["main"]
    path = await session.path_messages("main")
    assert [(node.sender, type(message)) for node, message in path] == [
        ("system", SystemMessage),
        (USER, UserMessage),
        ("assistant", AssistantMessage),
        (USER, UserMessage),
    ]
    assert path[2][1].text == "It is 4.\n\n## Working\n2 + 2 = 4"
    assert path[2][1].model == "gpt-4o"  # type: ignore[attr-defined]


async def test_the_seed_history_format_round_trips_its_messages(store: Store) -> None:
    messages = [UserMessage(text="hi"), AssistantMessage(text="hello", model="m1")]
    session = await Session.import_markdown(store, render_markdown_history(messages))
    assert [message for _, message in await session.path_messages("main")] == messages


async def test_title_argument_wins_over_the_files(store: Store) -> None:
    session = await Session.import_markdown(store, GOLDEN, title="renamed")
    assert session.title == "renamed"


async def test_an_export_with_nodes_its_stored_session_lacks_gets_new_ids(
    store: Store,
) -> None:
    path_only = (SESSIONS / "branched.path.md").read_text(encoding="utf-8")
    first = await Session.import_markdown(store, path_only)
    first_runs = {run.id for run in await first.runs()}
    second = await Session.import_markdown(store, GOLDEN)
    assert first.id == "example-branched"
    assert second.id != first.id
    second_runs = await second.runs()
    assert len(second_runs) == len({item["run"]["id"] for item in ITEMS if item["kind"] == "run"})
    assert not {run.id for run in second_runs} & first_runs
    assert {run.id for run in await first.runs()} == first_runs
    parents = {run.parent_run_id for run in second_runs} - {None}
    assert parents
    assert parents <= {run.id for run in second_runs}
    nodes, refs, _ = await tree_of(second)
    assert nodes == {item["hash"] for item in NODES}
    assert refs == {item["name"]: item["head"] for item in ITEMS if item["kind"] == "ref"}
    # Nodes are shared by content: they keep the run that first recorded them.
    assert all(set(run.output_nodes) <= nodes for run in second_runs)


@pytest.mark.parametrize("name", ["branched.tree.md", "linear.md", "hand-written"])
async def test_opening_the_same_file_twice_reopens_its_session(store: Store, name: str) -> None:
    text = HAND_WRITTEN if name == "hand-written" else (SESSIONS / name).read_text("utf-8")
    first = await Session.import_markdown(store, text, source=name)
    before = await snapshot(store)
    again = await Session.import_markdown(store, text.encode("utf-8"), source=name)
    assert again.id == first.id
    assert await snapshot(store) == before
    assert len(await store.reflog(first.id)) == len(await first.branches())


async def test_an_export_of_a_session_the_store_holds_reopens_that_session(
    store: Store,
) -> None:
    original = await Session.import_markdown(store, GOLDEN)
    before = await snapshot(store)
    exported = await original.export_markdown("path", "main")
    reopened = await Session.import_markdown(store, exported, source="exported.md")
    assert reopened.id == original.id
    assert await snapshot(store) == before


HAND_WRITTEN = "# user\nWhat is 2 + 2?\n\n# assistant\nIt is 4.\n"


async def test_a_message_class_this_process_never_loaded_keeps_its_hash(
    store: Store, other_store: Store
) -> None:
    foreign = frozen_from_data(
        {"$type": "plugin.Unknown", "text": "from a plugin", "score": [1, {"a": None}]}, Message
    )
    session = await Session.create(store)
    node = await session.append(foreign, sender="PLUGIN")  # type: ignore[arg-type]
    text = await session.export_markdown()
    assert '"$type":"plugin.Unknown"' in text
    imported = await Session.import_markdown(other_store, text)
    assert (await imported.head("main")) == node
    assert (await imported.message(node)).to_data() == foreign.to_data()


# --- bad input: refused whole, with the line, and the store is untouched ---


def _replace_in_metadata(kind: str, change: Callable[[dict[str, Any]], None], nth: int = 0):
    def edit(item: dict[str, Any]) -> dict[str, Any]:
        if item["kind"] == kind:
            counter[0] += 1
            if counter[0] - 1 == nth:
                change(item)
        return item

    counter = [0]
    return edit_metadata(GOLDEN, edit)


def _first_node_line(text: str, index: int = 0) -> int:
    return line_of(text, f'"hash":"{NODES[index]["hash"]}"')


def _cycle() -> str:
    first, second = NODES[0]["hash"], NODES[1]["hash"]

    def edit(item: dict[str, Any]) -> dict[str, Any]:
        if item.get("hash") == first:
            item["parent"] = second
        return item

    return edit_metadata(GOLDEN, edit)


def _missing_parent() -> str:
    dropped = NODES[2]["hash"]
    return edit_metadata(GOLDEN, lambda item: None if item.get("hash") == dropped else item)


def _changed_text() -> str:
    def change(item: dict[str, Any]) -> None:
        item["message"]["text"] += " (changed)"

    return _replace_in_metadata("node", change, nth=1)


def _unknown_head() -> str:
    def change(item: dict[str, Any]) -> None:
        item["head"] = "0" * 64

    return _replace_in_metadata("ref", change)


BAD_INPUTS: dict[str, tuple[Callable[[], str | bytes], str, Callable[[str | bytes], int]]] = {
    "nul bytes": (lambda: b"# user\nhi\x00there\n", "NUL", lambda _: 2),
    "undecodable bytes": (lambda: b"# user\nhi \xff\xfe\n", "not UTF-8", lambda _: 2),
    "binary junk": (lambda: bytes(range(256)) * 4, "NUL", lambda _: 1),
    "lone surrogate": (lambda: "# user\n\n\ud800", "not valid Unicode", lambda _: 3),
    "no messages": (lambda: "just some notes\n", "no messages found", lambda _: 1),
    "damaged header": (
        lambda: GOLDEN.replace(f"format={FORMAT_VERSION} ", "format=one ", 1),
        "header line is damaged",
        lambda _: 1,
    ),
    "newer format": (
        lambda: GOLDEN.replace(f"format={FORMAT_VERSION} ", "format=9 ", 1),
        "newer version of Ramify",
        lambda _: 1,
    ),
    "broken metadata json": (
        lambda: GOLDEN.replace('{"kind":"ref"', '{"kind":"ref",,', 1),
        "not valid JSON",
        lambda text: line_of(str(text), '{"kind":"ref",,'),
    ),
    "metadata not an object": (
        lambda: GOLDEN.replace('{"kind":"ref"', '["kind","ref"]\n{"kind":"ref"', 1),
        'expected a {"kind": ...} object',
        lambda text: line_of(str(text), '["kind","ref"]'),
    ),
    "hash does not match content": (
        _changed_text,
        "node hash does not match its content",
        lambda text: _first_node_line(str(text), 1),
    ),
    "parent cycle": (_cycle, "parent cycle", lambda text: _first_node_line(str(text), 0)),
    "missing parent": (
        _missing_parent,
        "missing parent",
        lambda text: _first_node_line(str(text), 3),
    ),
    "branch to unknown node": (
        _unknown_head,
        "points to node 000000000000",
        lambda text: line_of(str(text), '"head":"' + "0" * 64),
    ),
    "node listed twice": (
        lambda: GOLDEN.replace(
            (line := GOLDEN.split("\n")[_first_node_line(GOLDEN) - 1]), f"{line}\n{line}", 1
        ),
        "listed twice",
        lambda text: _first_node_line(str(text)) + 1,
    ),
    "body edited by hand": (
        lambda: GOLDEN.replace("grilled sardines", "grilled octopus", 1),
        "was edited by hand",
        lambda text: line_of(str(text), "grilled octopus"),
    ),
    "section deleted": (
        lambda: "\n".join(
            line for line in GOLDEN.split("\n") if NODES[0]["hash"] + " -->" not in line
        ),
        "has no section",
        lambda text: _first_node_line(str(text), 0),
    ),
    "cut before the metadata": (
        lambda: GOLDEN[: GOLDEN.index("<!-- ramify:4d01b500 data")],
        "metadata block",
        lambda text: len(str(text).split("\n")),
    ),
    "cut inside the metadata": (
        lambda: GOLDEN[: GOLDEN.index('{"kind":"run"')],
        "not closed",
        lambda text: len(str(text).split("\n")),
    ),
    "text after the metadata": (
        lambda: GOLDEN + "\nP.S. more notes\n",
        "text after the metadata block",
        lambda text: len(str(text).split("\n")) - 1,
    ),
    "unknown marker": (
        lambda: GOLDEN.replace(" links -->", " frobnicate -->", 1),
        "unknown Ramify marker",
        lambda text: line_of(str(text), " frobnicate -->"),
    ),
    "data names a class that is not a message": (
        lambda: _replace_in_metadata(
            "node", lambda item: item["message"].update({"$type": "ramify.Agent"})
        ),
        "cannot be rebuilt",
        lambda text: _first_node_line(str(text), 0),
    ),
    "invalid run": (
        lambda: _replace_in_metadata("run", lambda item: item["run"].update(timings={"x": "oops"})),
        "run record is invalid",
        lambda text: line_of(str(text), '"oops"'),
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_bad_input_is_refused_with_its_line_and_nothing_is_written(
    store: Store, case: str
) -> None:
    make, reason, line = BAD_INPUTS[case]
    await Session.import_markdown(store, (SESSIONS / "linear.md").read_text(encoding="utf-8"))
    before = await snapshot(store)
    data = make()
    with pytest.raises(SessionFileError) as raised:
        await import_markdown(store, data, source="file.md")
    error = raised.value
    assert reason in error.reason
    assert error.line == line(data)
    assert str(error).startswith(f"file.md, line {error.line}: ")
    assert isinstance(error, ValueError)
    assert await snapshot(store) == before


async def test_files_over_the_size_cap_are_refused_before_parsing(store: Store) -> None:
    assert MAX_FILE_BYTES == 64 * 1024 * 1024
    before = await snapshot(store)
    with pytest.raises(SessionFileError, match="larger than"):
        await import_markdown(store, b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(SessionFileError, match="larger than 100 bytes"):
        await import_markdown(store, "# user\n" + "x" * 100, max_bytes=100)
    with pytest.raises(SessionFileError, match="larger than 100 bytes"):
        await import_markdown(store, "# user\n" + "é" * 60, max_bytes=100)  # 120 bytes
    assert await snapshot(store) == before


async def test_line_endings_and_a_byte_order_mark_from_other_editors_are_fine(
    store: Store,
) -> None:
    windows = ("\ufeff" + GOLDEN.replace("\n", "\r\n")).encode("utf-8")
    session = await Session.import_markdown(store, windows)
    assert await session.export_markdown("tree") == GOLDEN


async def test_role_headings_are_read_in_any_case(store: Store) -> None:
    text = "# User\nhi\n\n# ASSISTANT / Model-X\nhello\n\nSystem\n======\nbe kind\n\n# uSeR\nbye\n"
    session = await Session.import_markdown(store, text)
    path = await session.path_messages("main")
    assert [(type(message), message.text) for _, message in path] == [
        (UserMessage, "hi"),
        (AssistantMessage, "hello"),
        (SystemMessage, "be kind"),
        (UserMessage, "bye"),
    ]
    assert path[1][1].model == "Model-X"  # type: ignore[attr-defined]


async def test_a_branch_copied_as_markdown_opens_again_with_the_same_messages(
    store: Store, other_store: Store
) -> None:
    from ramify.core.llm import demo_agent
    from ramify.tui.controller import SessionController

    session = await Session.create(store, title="copied")
    written: list[Message] = [
        UserMessage(text="What is 2 + 2?\n\n# not a role heading"),
        AssistantMessage(text="It is 4.\n\n## Working\n2 + 2 = 4", model="demo-1"),
        UserMessage(text="Thanks!"),
        AssistantMessage(text="You're welcome."),
    ]
    for message in written:
        sender = USER if isinstance(message, UserMessage) else "DEMO"
        await session.append(message, sender=sender)
    controller = SessionController(session, demo_agent)
    await controller.load()
    copied = await controller.path_markdown()
    reopened = await Session.import_markdown(other_store, copied, source="copied.md")
    messages = [message for _, message in await reopened.path_messages("main")]
    assert messages == written
