"""`reexecute`: run one recorded tool call again, on purpose, as a sibling result.

Nothing else ever runs a recorded call again (replay, fork, rerun and the run cache read
results from their nodes), and a tool that may change the world (destructive or open-world)
runs again only with ``confirm=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..llm.roles import tool_calls_of
from ..session import Session
from ..tree import Node
from .execute import DEFAULT_TOOL_TIMEOUT, run_call
from .messages import ToolCall, ToolResultMessage
from .tool import Tool, tools_by_name

__all__ = ["ConfirmationRequired", "NotAToolResult", "reexecute"]


class NotAToolResult(ValueError):
    """The node to re-execute holds no tool result, or its call cannot be found above it."""


class ConfirmationRequired(PermissionError):
    """The tool is destructive or open-world: running it again needs ``confirm=True``."""


async def _call_of(session: Session, node: Node, result: ToolResultMessage) -> ToolCall:
    at = node.parent
    while at is not None:
        above = await session.resolve(at)
        message = await session.message(above)
        for call in tool_calls_of(message):
            if call.id == result.call_id:
                return ToolCall(id=call.id, name=call.name, arguments=call.arguments)
        if not isinstance(message, ToolResultMessage):
            break
        at = above.parent
    raise NotAToolResult(
        f"the call {result.call_id} of node {node.hash_key[:12]} is not above it; "
        "only a result that follows its assistant message can be re-executed"
    )


async def reexecute(
    session: Session,
    node: Node | str,
    tools: Mapping[str, Tool] | Sequence[Tool],
    *,
    confirm: bool = False,
    branch: str | None = None,
    time_limit: float = DEFAULT_TOOL_TIMEOUT,
) -> Node:
    """Run again the call whose result is `node`; its new result becomes a sibling of `node`
    on a new branch (`branch`, or ``reexecute-N``). Returns the new node.

    A destructive or open-world tool raises `ConfirmationRequired` unless `confirm` is True;
    nothing runs then. A result the same as before is the same node (the branch points at it).
    The run's failures (raise, timeout, not JSON) are error results, as in the loop.
    """
    target = await session.resolve(node)
    result = await session.message(target)
    if not isinstance(result, ToolResultMessage):
        raise NotAToolResult(f"node {target.hash_key[:12]} is not a tool result")
    call = await _call_of(session, target, result)
    named = tools_by_name(tools if isinstance(tools, Mapping) else tuple(tools))
    tool = named.get(call.name)
    if tool is not None and tool.annotations.has_side_effects and not confirm:
        effects = " and ".join(
            word
            for word, flag in (
                ("destructive", tool.annotations.destructive),
                ("open-world", tool.annotations.open_world),
            )
            if flag
        )
        raise ConfirmationRequired(
            f"tool {call.name} is {effects}: running it again may change the world again; "
            "pass confirm=True to re-execute it"
        )
    fresh = await run_call(named, call, time_limit=time_limit)
    name = branch or await session.free_branch_name("reexecute")
    return await session.append(fresh, sender=target.sender, branch=name, parent=target.parent)
