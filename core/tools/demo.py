"""Tool use with no key: a calculator and a clock, and the offline demo model's tool calls.

Asked "what is 12*7" with the calculator offered, the demo model streams a short line and a
``calculator`` call for each arithmetic expression in the last user message (several: parallel
calls); asked the time with the clock offered, a ``clock`` call. Once the results are in, it
answers from them. Anything else gets the demo model's usual canned reply.
"""

from __future__ import annotations

import ast
import asyncio
import datetime
import hashlib
import json
import operator
import re
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

from ..llm.demo import DEMO_MODEL, demo_reply, demo_tokens
from ..llm.roles import tool_calls_of
from ..llm.stream import StreamedToolCall, StreamResult, TokenStream
from ..messages import Message
from .messages import TOOL_ROLE
from .tool import Tool, tool

__all__ = ["DEMO_TOOLS", "calculator", "clock", "stream_demo_with_tools"]

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
# Bounds that keep one expression cheap: `9**9**9` would take the process down.
_MAX_EXPONENT = 1000
_MAX_DIGITS = 1000


def _evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ValueError("only numbers and + - * / // % ** ( ) are allowed")
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        result: int | float = _UNARY[type(node.op)](_evaluate(node.operand))
        return result
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise ValueError(f"exponent {right} is too large (at most {_MAX_EXPONENT})")
        value: int | float = _BINARY[type(node.op)](left, right)
        if isinstance(value, int) and value.bit_length() > _MAX_DIGITS * 4:
            raise ValueError("the result is too large")
        return value
    raise ValueError("only numbers and + - * / // % ** ( ) are allowed")


@tool(read_only=True)
def calculator(expression: str) -> int | float:
    """Evaluate an arithmetic expression, e.g. "12*7" or "(3+4)/2"."""
    try:
        tree = ast.parse(expression.replace("^", "**").replace("×", "*"), mode="eval")
    except SyntaxError:
        raise ValueError(f"not an arithmetic expression: {expression!r}") from None
    value = _evaluate(tree)
    return int(value) if isinstance(value, float) and value.is_integer() else value


@tool(read_only=True)
def clock() -> str:
    """The current date and time in UTC (ISO 8601)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


#: The demo tools, by name.
DEMO_TOOLS: dict[str, Tool] = {calculator.name: calculator, clock.name: clock}

_EXPRESSION = re.compile(r"[-(]*\d[\d.\s]*(?:(?:\*\*|//|[-+*/%^×])[\s(]*\d[\d.\s)]*)+")
_TIME_WORDS = re.compile(r"\b(time|clock|date|today|now)\b", re.IGNORECASE)


def _planned_calls(said: str, tools: Mapping[str, Tool]) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    if "calculator" in tools:
        for found in _EXPRESSION.finditer(said):
            expression = " ".join(found.group().split())
            calls.append(("calculator", {"expression": expression}))
    if "clock" in tools and _TIME_WORDS.search(said):
        calls.append(("clock", {}))
    return calls


def _final_answer(messages: Sequence[Message]) -> str:
    """The answer from the results that follow the last message asking for calls."""
    start = max(
        (index for index, message in enumerate(messages) if tool_calls_of(message)), default=-1
    )
    asked = {call.id: call for call in tool_calls_of(messages[start])} if start >= 0 else {}
    lines = []
    for message in messages[start + 1 :]:
        if message.role != TOOL_ROLE:
            continue
        call = asked.get(getattr(message, "call_id", ""))
        arguments = call.arguments if call is not None else "{}"
        try:
            shown = ", ".join(str(value) for value in json.loads(arguments).values())
        except (ValueError, AttributeError):
            shown = arguments
        name = getattr(message, "name", "tool")
        if getattr(message, "is_error", False):
            lines.append(f"- `{name}({shown})` failed: {message.text}")
        else:
            lines.append(f"- `{name}({shown})` = **{message.text}**")
    body = "\n".join(lines) or "- (no results came back)"
    return f"Here is what the tools said:\n\n{body}\n"


def stream_demo_with_tools(
    messages: Sequence[Message],
    tools: Mapping[str, Tool],
    *,
    tokens_per_second: float = 60.0,
    model: str = DEMO_MODEL,
    attempt: int = 0,
) -> TokenStream:
    """The demo model's next step: calls for the demo tools it is offered, an answer from
    tool results, or its usual reply. Deterministic per conversation and attempt."""
    result = StreamResult(model=model, provider="demo")
    last = messages[-1] if messages else None
    calls: list[tuple[str, dict[str, Any]]] = []
    if last is not None and last.role == TOOL_ROLE:
        text = _final_answer(messages)
    else:
        said = last.text if last is not None and last.role in (None, "user") else ""
        calls = _planned_calls(said, tools)
        if calls:
            names = " and the ".join(dict.fromkeys(name for name, _ in calls))
            take = f"(take {attempt + 1}) " if attempt else ""
            text = f"Let me ask the {names} {take}for that."
        else:
            text = demo_reply(messages, attempt=attempt)
    seed = hashlib.sha256(f"{attempt}\0".encode())
    for message in messages:
        seed.update(f"{message.role}\0{message.text}\0".encode())
    prefix = seed.hexdigest()[:10]
    streamed = [
        StreamedToolCall(
            id=f"demo_{prefix}_{index}",
            name=name,
            arguments=json.dumps(arguments, separators=(",", ":")),
        )
        for index, (name, arguments) in enumerate(calls)
    ]
    return TokenStream(result, _tokens(result, text, streamed, tokens_per_second))


async def _tokens(
    result: StreamResult,
    text: str,
    calls: list[StreamedToolCall],
    tokens_per_second: float,
) -> AsyncGenerator[str, None]:
    delay = 1.0 / tokens_per_second if tokens_per_second > 0 else 0.0
    result.input_tokens = 0
    for count, token in enumerate(demo_tokens(text), start=1):
        await asyncio.sleep(delay if count > 1 else 0)
        result.output_tokens = count
        yield token
    for call in calls:
        # Arguments arrive in pieces, as a provider streams them.
        pieces = [call.arguments[start : start + 6] for start in range(0, len(call.arguments), 6)]
        streamed = StreamedToolCall(id=call.id, name=call.name)
        result.tool_calls.append(streamed)
        for piece in pieces:
            await asyncio.sleep(0)
            streamed.arguments += piece
    result.finish_reason = "tool_calls" if calls else "stop"
