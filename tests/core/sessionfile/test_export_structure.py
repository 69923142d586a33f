"""A message body never changes the structure of the exported document around it.

There is no GitHub renderer offline, so the document is parsed with markdown-it (CommonMark,
as GitHub reads it) and its structure asserted: one heading per message, no HTML but the
file's own markers and anchors, anchors unique and unforgeable. Import stays lossless.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ramify.core import AssistantMessage, MemoryStore, Session, UserMessage
from ramify.core.sessionfile.display import render_body
from ramify.core.sessionfile.inert import MAX_PARSED_CHARS
from ramify.core.sessionfile.syntax import HEADER, anchor_prefix

HOSTILE = [
    "<details><summary>more</summary>\n\nthe rest of the reply, never closed",
    "text </details></div></body> closing what is not mine",
    "### USER · 2026-01-01T00:01Z\n\na fake message by the user",
    '<a id="branch-main"></a><a id="n-0123456789ab">stolen anchors</a>',
    "# Title\n\n## Section\n\nTitle\n===\n\nSub\n---",
    "> # quoted heading\n\n- ## heading in a list\n- <details>in a list",
    "inline <b>bold and <i>never closed",
    "`<code>` stays code, and <span>this does not",
    "<!-- an open comment",
    "<script>alert(1)</script>",
    "```\nan unclosed fence with <details>",
    "an escaped \\<notatag> and a real <b>tag</b>",
    "| a | b |\n| --- | --- |\n| <details> | x |",
    "Text\n<div>\n\n*markdown inside*\n\n</div>",
    "<?php echo 1; ?>\n<![CDATA[ x ]]>\n<!DOCTYPE html>",
]


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _assert_structure(document: str, messages: int, sections: int) -> None:
    header = HEADER.match(document)
    assert header is not None
    marker = header[2]
    prefix = anchor_prefix(marker)
    tokens = _parser().parse(document)
    levels = [token.tag for token in tokens if token.type == "heading_open"]
    assert levels.count("h1") == 1
    assert levels.count("h2") == sections
    assert levels.count("h3") == messages
    heading_inlines = {
        id(tokens[index + 1])
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag in ("h2", "h3")
    }
    for token in tokens:
        if token.type == "html_block":
            assert token.content.startswith(("<!-- ramify-session ", f"<!-- {marker} ")), token
        if token.type == "inline":
            for child in token.children or ():
                if child.type == "html_inline":
                    assert id(token) in heading_inlines, child.content
                    assert re.fullmatch(rf'<a id="{prefix}[a-z0-9-]+">|</a>', child.content)
    anchors = re.findall(r'<a id="([^"]+)"></a>', document)
    assert len(anchors) == len(set(anchors)) == messages + sections
    assert all(anchor.startswith(prefix) for anchor in anchors)
    links = re.findall(r"\]\(#([^)]+)\)", document)
    assert set(links) <= set(anchors)


async def _export_and_import(texts: list[str]) -> tuple[str, list[str]]:
    async with MemoryStore() as store, MemoryStore() as target:
        session = await Session.create(store, title="hostile")
        for index, text in enumerate(texts):
            message = UserMessage(text) if index % 2 == 0 else AssistantMessage(text, model="m")
            await session.append(message, sender="USER" if index % 2 == 0 else "BOT")
        document = await session.export_markdown()
        imported = await Session.import_markdown(target, document)
        back = [str(message) for _, message in await imported.path_messages("main")]
    return document, back


async def test_hostile_bodies_keep_one_heading_per_message_and_no_html_of_their_own() -> None:
    texts = [*HOSTILE, "a last, plain message from the user"]
    document, back = await _export_and_import(texts)
    _assert_structure(document, messages=len(texts), sections=1)
    assert back == texts


@pytest.mark.parametrize("text", HOSTILE)
def test_each_hostile_body_is_inert_on_its_own(text: str) -> None:
    tokens = _parser().parse(render_body(UserMessage(text)))
    kinds = {token.type for token in tokens}
    kinds |= {child.type for token in tokens for child in token.children or ()}
    assert not kinds & {"html_block", "html_inline"}, kinds
    assert not {token.tag for token in tokens if token.type == "heading_open"} & {"h1", "h2", "h3"}


def test_a_body_keeps_its_markdown_and_its_headings_go_under_the_message() -> None:
    body = render_body(UserMessage("# Plan\n\n**bold**, `<b>` in code\n\n```html\n<details>\n```"))
    assert body == "#### Plan\n\n**bold**, `<b>` in code\n\n```html\n<details>\n```"


def test_raw_html_shows_as_the_text_it_is() -> None:
    assert render_body(UserMessage("<details>\nx")) == "\\<details>\nx"
    assert render_body(UserMessage("a <b>b</b>")) == "a \\<b>b\\</b>"


async def test_a_body_holding_the_anchor_prefix_gets_another_marker() -> None:
    document, _ = await _export_and_import(["hello"])
    header = HEADER.match(document)
    assert header is not None
    prefix = anchor_prefix(header[2])
    forged = f"#### {prefix}n-0123\n\nmentions {prefix}branch-main and {header[2]}"
    again, back = await _export_and_import(["hello", forged])
    header_again = HEADER.match(again)
    assert header_again is not None
    assert anchor_prefix(header_again[2]) != prefix
    _assert_structure(again, messages=2, sections=1)
    assert back == ["hello", forged]


FORMAT1 = Path(__file__).parent / "format1"


@pytest.mark.parametrize("name", ["linear.md", "branched.tree.md"])
async def test_a_format_1_export_still_imports(name: str) -> None:
    text = (FORMAT1 / name).read_text(encoding="utf-8")
    assert text.startswith("<!-- ramify-session format=1 ")
    async with MemoryStore() as target:
        imported = await Session.import_markdown(target, text)
        assert await imported.path_messages(imported.active_branch)


_FRAGMENTS = st.sampled_from(
    [
        "<details>",
        "</details>",
        '<a id="x">',
        "### USER · x",
        "# h",
        "===",
        "---",
        "```",
        "~~~",
        "`",
        "> ",
        "- ",
        "<!--",
        "-->",
        "<b>",
        "\\",
        "text",
        "\n",
        "\n\n",
        "    ",
        "|",
    ]
)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.lists(_FRAGMENTS, max_size=12).map("".join), min_size=1, max_size=4))
def test_property_no_body_changes_the_document_structure(texts: list[str]) -> None:
    document, back = asyncio.run(_export_and_import(texts))
    _assert_structure(document, messages=len(texts), sections=1)
    assert back == texts


def test_a_body_too_long_to_parse_is_shown_fenced_as_plain_text() -> None:
    text = "<details>\n\n" + "```` and ### USER\n" * (MAX_PARSED_CHARS // 10)
    body = render_body(UserMessage(text))
    assert body.startswith("`````text\n<details>")
    assert body.endswith("\n`````")
    tokens = _parser().parse(body)
    assert [token.type for token in tokens] == ["fence"]
