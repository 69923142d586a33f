"""Running one tool call: arguments checked first, a timeout, and every failure turned into an
error result the model reads (never an exception out of the agent)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .messages import ToolCall, ToolResultMessage
from .tool import Tool, ToolArgumentsError

__all__ = ["DEFAULT_TOOL_TIMEOUT", "result_text", "run_call", "run_calls"]

#: Seconds a tool call may run when neither the tool nor the agent says otherwise.
DEFAULT_TOOL_TIMEOUT = 30.0

# An error line the model and the user read is cut here: a traceback-sized text helps neither.
_MAX_ERROR_CHARS = 500


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_ERROR_CHARS else line[: _MAX_ERROR_CHARS - 1] + "…"


def result_text(value: Any) -> str:
    """What the model reads of a tool's return value: a string as it is, else its JSON text.

    Raises `TypeError` for a value JSON cannot hold (an object, NaN, a set ...).
    """
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"returned a {type(value).__name__}, which is not JSON ({_one_line(str(error))})"
        ) from None


def _error(call: ToolCall, text: str, started: float | None = None) -> ToolResultMessage:
    duration = None if started is None else (time.monotonic() - started) * 1000
    return ToolResultMessage(
        text=f"Error: {_one_line(text)}",
        call_id=call.id,
        name=call.name,
        is_error=True,
        duration_ms=duration,
    )


async def _invoke(tool: Tool, arguments: dict[str, Any]) -> Any:
    if inspect.iscoroutinefunction(tool.function):
        return await tool.function(**arguments)
    return await _in_daemon_thread(tool.function, arguments)


async def _in_daemon_thread(function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Run a blocking function in a thread of its own, so it stalls neither the other calls
    nor the UI. A daemon thread, not the loop's executor: one that hangs past its timeout is
    left behind (a thread cannot be killed), and the executor would make the process wait
    for it at exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def work() -> None:
        try:
            value = function(**arguments)
        except BaseException as error:  # handed to the awaiting task, whatever it is
            outcome: tuple[Any, BaseException | None] = (None, error)
        else:
            outcome = (value, None)
        with contextlib.suppress(RuntimeError):  # the loop closed while the tool ran
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name=f"ramify-tool-{function.__name__}", daemon=True).start()
    return await future


async def run_call(
    tools: Mapping[str, Tool], call: ToolCall, *, time_limit: float = DEFAULT_TOOL_TIMEOUT
) -> ToolResultMessage:
    """Run `call` with the tool of its name and return its result message.

    An unknown tool, arguments that do not match the schema (the function is not called), an
    exception, a timeout (the tool's own, else `time_limit`) or a return value that is not JSON
    each give an error result naming what went wrong, in one line.
    """
    tool = tools.get(call.name)
    if tool is None:
        known = ", ".join(sorted(tools)) or "none"
        return _error(call, f"there is no tool called {call.name!r} (tools: {known})")
    try:
        arguments = tool.parse_arguments(call.arguments)
    except ToolArgumentsError as error:
        return _error(call, str(error))
    limit = tool.timeout if tool.timeout is not None else time_limit
    started = time.monotonic()
    try:
        async with asyncio.timeout(limit):
            value = await _invoke(tool, arguments)
    except TimeoutError:
        return _error(call, f"tool {call.name} timed out after {limit:g} s", started)
    except Exception as error:
        kind = type(error).__name__
        detail = str(error)
        return _error(
            call, f"tool {call.name} raised {kind}: {detail}" if detail else kind, started
        )
    try:
        text = result_text(value)
    except TypeError as error:
        return _error(call, f"tool {call.name} {error}", started)
    return ToolResultMessage(
        text=text,
        call_id=call.id,
        name=call.name,
        duration_ms=(time.monotonic() - started) * 1000,
    )


async def run_calls(
    tools: Mapping[str, Tool],
    calls: Sequence[ToolCall],
    *,
    time_limit: float = DEFAULT_TOOL_TIMEOUT,
) -> list[ToolResultMessage]:
    """Run `calls` concurrently; their results in call order."""
    return list(
        await asyncio.gather(*(run_call(tools, call, time_limit=time_limit) for call in calls))
    )
