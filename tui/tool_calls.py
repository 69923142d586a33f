"""Tool calls for the IDE, through the session: the call a live tool result answers, and
re-executing a recorded call as a sibling result.

Imports no Textual: the app's tool actions (`app_tools.py`) call these and show the outcome.
`ramify.core.tools` is imported when first needed, so opening the IDE does not load it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ramify.core import Message
from ramify.core.llm.roles import tool_calls_of
from ramify.tui.view_models import ToolCallView

if TYPE_CHECKING:
    from ramify.core.tools import Tool
    from ramify.tui.controller import SessionController


async def live_tool_call(promise: Any, earlier: Sequence[Any]) -> ToolCallView | None:
    """The call a streaming reply answers, when it is a tool result (else None).

    The tool loop replies a model step's calls only once that step's message has ended, so
    the message naming the call is among the run's `earlier` promises, already resolved:
    awaiting one of those returns at once.
    """
    if promise.get("role") != "tool":
        return None
    resolved: list[Message] = []
    for before in earlier:
        if before.done() and not before.cancelled():
            try:
                resolved.append(await before)
            except Exception:  # a failed step asked for no call
                continue
    return _call_among(str(promise.get("call_id") or ""), "tool", resolved)


def recorded_tool_call(message: Message, earlier: Sequence[Message]) -> ToolCallView | None:
    """The call a recorded message answers, when it is a tool result (else None); the message
    naming the call is among the path's `earlier` messages."""
    if message.role != "tool":
        return None
    call_id = str(getattr(message, "call_id", "") or "")
    return _call_among(call_id, str(getattr(message, "name", "tool")), earlier)


def _call_among(call_id: str, name: str, messages: Sequence[Message]) -> ToolCallView:
    for message in reversed(messages):
        for call in tool_calls_of(message):
            if call.id == call_id:
                return ToolCallView(str(call.name), str(call.arguments), call_id)
    return ToolCallView(name, "", call_id)


@dataclass(frozen=True, slots=True)
class ToolRerun:
    """A recorded tool result the user asked to run again.

    Args:
        node: hash of the result's node.
        sender: who recorded it (the pane's alias while it runs again).
        call: the call's name and arguments.
        tools: the tools it can run with (those of the agent that ran it).
        effects: ``destructive``, ``open-world`` or both (empty for a tool safe to repeat):
            a tool with effects runs again only after the user says yes.
    """

    node: str
    sender: str
    call: ToolCallView
    tools: Mapping[str, Tool]
    effects: str


async def tool_rerun_of(controller: SessionController) -> ToolRerun:
    """The selected tool result, ready to run again; ValueError says what to select or load."""
    node = controller.selected_hash
    if node is None:
        raise ValueError("select a tool result to re-execute (Ctrl+G, then move to it)")
    session = controller.session
    original = await session.resolve(node)
    message = await session.message(original)
    if message.role != "tool":
        raise ValueError("select a tool result (a line ▸ name → result) to re-execute")
    name = str(getattr(message, "name", ""))
    agent = (
        controller.agents.get(original.sender)
        or session.known_agent(original.sender)
        or controller.target
    )
    tools = agent.merged_kwargs({}).get("tools")
    if not isinstance(tools, Mapping) or name not in tools:
        raise ValueError(
            f"the tool {name} is not loaded in this IDE; start it with the agent that has it "
            "(ramify --tools for the demo tools)"
        )
    call = ToolCallView(name, "")
    call_id = getattr(message, "call_id", None)
    at = original.parent
    while at is not None:  # the calling message, above this result and its earlier siblings
        above_node = await session.resolve(at)
        above = await session.message(above_node)
        found = [asked for asked in tool_calls_of(above) if asked.id == call_id]
        if found:
            call = ToolCallView(str(found[0].name), str(found[0].arguments))
        if found or above.role != "tool":
            break
        at = above_node.parent
    annotations = tools[name].annotations
    effects = " and ".join(
        word
        for word, flag in (
            ("destructive", annotations.destructive),
            ("open-world", annotations.open_world),
        )
        if flag
    )
    return ToolRerun(original.hash_key, original.sender, call, tools, effects)


@dataclass(frozen=True, slots=True)
class Reexecuted:
    """Where a re-executed call's result landed: its branch, its text, whether it failed, and
    whether it is the very node it re-executed (the tool gave the same result)."""

    branch: str
    text: str
    failed: bool
    same: bool


async def reexecute_tool(
    controller: SessionController, rerun: ToolRerun, *, confirm: bool
) -> Reexecuted:
    """Run the call again (`confirm` is the user's yes for a tool with effects); its result
    becomes a sibling of the old one on a new ``reexecute-N`` branch, checked out."""
    from ramify.core.tools import reexecute

    branch = await controller.free_branch_name("reexecute")
    node = await reexecute(
        controller.session, rerun.node, rerun.tools, confirm=confirm, branch=branch
    )
    result = await controller.session.message(node)
    await controller.refresh()
    await controller.checkout(branch)
    failed = bool(getattr(result, "is_error", False))
    return Reexecuted(branch, result.text, failed, node.hash_key == rerun.node)
