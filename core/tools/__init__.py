"""ramify.core.tools: tool calls as nodes of the conversation tree.

A Python function becomes a tool with `@tool` (its JSON schema from its type hints, its
annotations kept: read-only, destructive, open-world). `agent_with_tools(tools, api=...)`
is an agent that runs the tool loop: it calls the model (the offline demo model, OpenAI Chat
Completions or an OpenAI-compatible endpoint, the Responses API, or Anthropic), runs the calls
the model asks for (concurrently), feeds the results back and goes on until a final answer or
its step limit.

    @tool(read_only=True)
    def add(a: int, b: int) -> int:
        \"\"\"Add two integers.\"\"\"
        return a + b

    agent = agent_with_tools([add], api="openai", model="gpt-4o-mini")
    replies = session.inquire(agent)        # each step becomes a node

The tree shape: the model's message carries its calls (`ToolCallsMessage.tool_calls`: id,
name, arguments JSON text), and each result is its own node (`ToolResultMessage`), hashed over
only what the model reads. So the tree keeps working without running a tool twice: replay and
the run cache read results from their nodes; a fork after a result reuses it; a rerun of the
assistant message makes a sibling whose own new calls run; `reexecute` runs one call again,
explicitly, as a sibling result, and refuses a destructive or open-world tool unless
``confirm=True``. A tool that raises, hangs past its timeout or returns what is not JSON, and a
call whose arguments do not match the schema (refused before the call), each give an error
result the model reads; ``on_tool_error`` decides whether the run goes on.

Approvals and breakpoints (`policy.py`, `gate.py`, `interrupts.py`): a tool's policy (allow,
ask, deny; read-only tools allowed) and a session's breakpoints (before or after a tool or an
agent, by name or glob) stop the loop, or a plain model agent of `ramify.core.llm`, at an
`InterruptMessage` node; `answer_interrupt` goes on from it, in this process or a later one.

`demo_tool_agent` (the demo model with a calculator and a clock) shows all of it with no key.
"""

from .configured import configured_tools
from .demo import DEMO_TOOLS, calculator, clock
from .execute import DEFAULT_TOOL_TIMEOUT, result_text, run_call, run_calls
from .interrupts import (
    INTERRUPT_ROLE,
    InterruptAnswer,
    InterruptMessage,
    answer_interrupt,
    pending_interrupt,
    pending_interrupts,
)
from .loop import (
    DEFAULT_MAX_STEPS,
    Api,
    agent_with_tools,
    demo_tool_agent,
    tool_loop_agent,
    unanswered_calls,
    with_tools,
)
from .messages import TOOL_ROLE, ToolCall, ToolCallsMessage, ToolResultMessage
from .policy import (
    Breakpoint,
    BreakpointKind,
    InterruptSettings,
    default_policy,
    interrupt_settings,
)
from .reexecute import ConfirmationRequired, NotAToolResult, reexecute
from .tool import Tool, ToolAnnotations, ToolArgumentsError, tool, tools_by_name

__all__ = [
    "DEFAULT_MAX_STEPS",
    "DEFAULT_TOOL_TIMEOUT",
    "DEMO_TOOLS",
    "INTERRUPT_ROLE",
    "TOOL_ROLE",
    "Api",
    "Breakpoint",
    "BreakpointKind",
    "ConfirmationRequired",
    "InterruptAnswer",
    "InterruptMessage",
    "InterruptSettings",
    "NotAToolResult",
    "Tool",
    "ToolAnnotations",
    "ToolArgumentsError",
    "ToolCall",
    "ToolCallsMessage",
    "ToolResultMessage",
    "agent_with_tools",
    "answer_interrupt",
    "calculator",
    "clock",
    "configured_tools",
    "default_policy",
    "demo_tool_agent",
    "interrupt_settings",
    "pending_interrupt",
    "pending_interrupts",
    "reexecute",
    "result_text",
    "run_call",
    "run_calls",
    "tool",
    "tool_loop_agent",
    "tools_by_name",
    "unanswered_calls",
    "with_tools",
]
