"""History agents: in memory, and markdown files read back by the next run."""

from __future__ import annotations

from pathlib import Path

from ramify.core import (
    AssistantMessage,
    InteractionContext,
    Message,
    Ramify,
    SystemMessage,
    UserMessage,
    agent,
    in_memory_history_agent,
    markdown_history_agent,
)
from ramify.core.agents import parse_markdown_history, render_markdown_history


async def test_in_memory_history_returns_the_full_history_when_asked() -> None:
    store: list[Message] = []
    history = in_memory_history_agent.fork(non_freezable_kwargs={"message_list": store})
    async with Ramify():
        await history.inquire("one")
        full = await history.inquire("two", return_full_history=True)
    assert [str(message) for message in full] == ["one", "two"]
    assert [str(message) for message in store] == ["one", "two"]


async def test_markdown_history_written_by_one_run_is_read_back_by_the_next(
    tmp_path: Path,
) -> None:
    chat = tmp_path / "CHAT.md"
    history = markdown_history_agent.fork(history_md_file=str(chat))
    first = [
        SystemMessage(text="Be brief."),
        UserMessage(text="hi"),
        AssistantMessage(text="# A heading inside a reply\n\nhello", model="demo"),
    ]
    async with Ramify():
        await history.inquire(first)
    async with Ramify():
        full = await history.inquire(UserMessage(text="again"), return_full_history=True)
    assert [(message.role, str(message)) for message in full] == [
        ("system", "Be brief."),
        ("user", "hi"),
        ("assistant", "# A heading inside a reply\n\nhello"),
        ("user", "again"),
    ]
    assert full[2].model == "demo"  # type: ignore[attr-defined]


async def test_markdown_history_keeps_indentation_and_inner_blank_lines(tmp_path: Path) -> None:
    history = markdown_history_agent.fork(history_md_file=str(tmp_path / "CHAT.md"))
    texts = [
        "    indented code first\n\tthen a tab\n\n\n  two spaces  ",
        "- item\n    - nested item\n        deeper",
    ]
    async with Ramify():
        await history.inquire([UserMessage(text=texts[0]), AssistantMessage(text=texts[1])])
    async with Ramify():
        full = await history.inquire(None, return_full_history=True)
    assert [message.text for message in full] == texts


def test_hand_written_markdown_with_atx_role_headings_parses() -> None:
    text = "# system\nBe kind.\n\n# user\nhello\n\n# assistant\nhi!\n"
    parsed = parse_markdown_history(text)
    assert [(message.role, message.text) for message in parsed] == [
        ("system", "Be kind."),
        ("user", "hello"),
        ("assistant", "hi!"),
    ]


def test_render_then_parse_round_trips() -> None:
    messages = [UserMessage(text="q"), AssistantMessage(text="a\n\n- list", model="m")]
    assert parse_markdown_history(render_markdown_history(messages)) == messages


async def test_history_agent_feeds_an_assistant_in_a_chain() -> None:
    store: list[Message] = []
    history = in_memory_history_agent.fork(non_freezable_kwargs={"message_list": store})

    @agent
    async def counter(ctx: InteractionContext) -> None:
        ctx.reply(f"{len(await ctx.message_promises)} messages so far")

    async with Ramify():
        await history.inquire("a")
        reply = await counter.inquire(history.inquire("b", return_full_history=True))
    assert str(reply[0]) == "2 messages so far"
