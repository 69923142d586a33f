"""History agents: keep a conversation's messages in memory or in a markdown file.

The markdown format is the seed's: one section per message, headed by its role (optionally
``role / model``) underlined with ``=`` (a markdown H1), then the text. A later run reads the
file back as history. Only headings naming a known role start a message, so a reply that
contains its own ``#`` headings stays one message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiofiles

from ..messages import AssistantMessage, Message, SystemMessage, UserMessage
from .agent import agent
from .context import InteractionContext

__all__ = [
    "in_memory_history_agent",
    "markdown_history_agent",
    "parse_markdown_history",
    "render_markdown_history",
]

GLOBAL_MESSAGE_HISTORY: list[Message] = []

_ROLE_CLASSES: dict[str, type[Message]] = {
    "system": SystemMessage,
    "user": UserMessage,
    "assistant": AssistantMessage,
}
# Any case: people write `# User` and `# ASSISTANT` too.
_ROLES = "(?i:" + "|".join(_ROLE_CLASSES) + ")"
_ROLE_LINE = rf"(?:{_ROLES})(?: / [^\n]+)?"
_HEADING = re.compile(
    rf"^(?:# (?P<atx>{_ROLE_LINE})|(?P<setext>{_ROLE_LINE})\n=+)[ \t]*$", re.MULTILINE
)


@agent(non_freezable_kwargs={"message_list": GLOBAL_MESSAGE_HISTORY})
async def in_memory_history_agent(
    ctx: InteractionContext, message_list: list[Message], return_full_history: bool = False
) -> None:
    """Append the input to `message_list`; reply the input, or the whole history."""
    incoming = await ctx.message_promises
    message_list.extend(incoming)
    ctx.reply(tuple(message_list) if return_full_history else incoming)


def render_markdown_history(messages: Any, default_role: str = "assistant") -> str:
    """Messages as markdown sections, in the format `parse_markdown_history` reads back."""
    sections = []
    for message in messages:
        role = message.role or default_role
        model = getattr(message, "model", None)
        heading = f"{role} / {model}" if model else role
        sections.append(f"{heading}\n{'=' * len(heading)}\n{message.text}\n")
    return "\n".join(sections)


def parse_markdown_history(text: str) -> list[Message]:
    """Messages from markdown whose H1 headings name roles (system, user, assistant)."""
    messages: list[Message] = []
    matches = list(_HEADING.finditer(text))
    for index, match in enumerate(matches):
        heading = match.group("atx") or match.group("setext")
        role, _, model = heading.partition(" / ")
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = text[match.end() : end].strip("\n")
        cls = _ROLE_CLASSES[role.lower()]
        if cls is AssistantMessage and model:
            messages.append(AssistantMessage(text=body, model=model.strip()))
        else:
            messages.append(cls(text=body))
    return messages


@agent
async def markdown_history_agent(
    ctx: InteractionContext,
    history_md_file: str = "CHAT.md",
    default_role: str = "assistant",
    return_full_history: bool = False,
) -> None:
    """Append the input to a markdown file; reply the input, or the whole file's history."""
    path = Path(history_md_file)
    previous = ""
    try:
        async with aiofiles.open(path, encoding="utf-8") as file:
            previous = await file.read()
    except FileNotFoundError:
        pass
    incoming = await ctx.message_promises
    if incoming:
        addition = render_markdown_history(incoming, default_role)
        separator = "\n" if previous and not previous.endswith("\n\n") else ""
        async with aiofiles.open(path, "a", encoding="utf-8") as file:
            await file.write(separator + addition)
    if return_full_history:
        ctx.reply([*parse_markdown_history(previous), *incoming])
    else:
        ctx.reply(incoming)
