"""The tool loop: an agent that calls a model, runs the tool calls it asks for, feeds the
results back, and goes on until a final answer or its step limit.

Every step is a reply of the agent, so each becomes a node of the tree in order: the
assistant message with its calls (`ToolCallsMessage`), one `ToolResultMessage` per call (in
call order, the calls themselves run concurrently), the next assistant message ... A run that
starts where calls are still unanswered (a fork after the first of two results) runs only
those; a result already recorded under the same node (the same assistant message reached
again) is reused rather than run again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal

from ..agents import Agent, InteractionContext, agent
from ..frozen import FrozenMapping
from ..llm.agents import anthropic_agent, demo_agent, openai_agent, settle_usage
from ..llm.anthropic_provider import stream_anthropic
from ..llm.demo import DEMO_MODEL
from ..llm.openai_provider import stream_openai
from ..llm.responses_provider import stream_responses
from ..llm.roles import tool_calls_of
from ..llm.stream import TokenStream
from ..messages import ErrorMessage, Message
from ..promising import MessagePromise
from .demo import DEMO_TOOLS, stream_demo_with_tools
from .execute import DEFAULT_TOOL_TIMEOUT, run_call
from .gate import Gate
from .interrupts import INTERRUPT_ROLE
from .messages import TOOL_ROLE, ToolCall, ToolCallsMessage, ToolResultMessage
from .policy import POLICIES, Policy, interrupt_settings
from .recorded import ReplyTip, recorded_results
from .tool import Tool, tools_by_name

__all__ = [
    "DEFAULT_MAX_STEPS",
    "Api",
    "agent_with_tools",
    "demo_tool_agent",
    "tool_loop_agent",
    "unanswered_calls",
    "with_tools",
]

#: Model calls one run may make before it stops without a final answer.
DEFAULT_MAX_STEPS = 8

#: The API the model is reached through. ``openai`` is Chat Completions (OpenAI and
#: OpenAI-compatible endpoints through ``base_url``), ``responses`` the Responses API.
Api = Literal["demo", "openai", "responses", "anthropic"]

OnToolError = Literal["continue", "stop"]


def unanswered_calls(messages: Sequence[Message]) -> list[ToolCall]:
    """The calls of the last message asking for tools that have no result after it."""
    for index in range(len(messages) - 1, -1, -1):
        calls = tool_calls_of(messages[index])
        if calls:
            answered = {
                getattr(message, "call_id", None)
                for message in messages[index + 1 :]
                if message.role == TOOL_ROLE
            }
            return [
                ToolCall(id=call.id, name=call.name, arguments=call.arguments)
                for call in calls
                if call.id not in answered
            ]
        if messages[index].role not in (TOOL_ROLE, "error", INTERRUPT_ROLE):
            return []
    return []


def _model_stream(
    api: str,
    messages: list[Message],
    tools: Mapping[str, Tool],
    params: dict[str, Any],
    attempt: int,
) -> TokenStream:
    listed = list(tools.values())
    if api == "demo":
        return stream_demo_with_tools(
            messages,
            tools,
            tokens_per_second=float(params.get("tokens_per_second", 60.0)),
            model=str(params.get("model", DEMO_MODEL)),
            attempt=attempt,
        )
    options = dict(params)
    options.setdefault("default_role", "user")
    if api == "openai":
        if listed:
            options["tools"] = [item.openai_spec() for item in listed]
        return stream_openai(messages, **options)
    if api == "responses":
        if listed:
            options["tools"] = [item.responses_spec() for item in listed]
        return stream_responses(messages, **options)
    if api == "anthropic":
        if listed:
            options["tools"] = [item.anthropic_spec() for item in listed]
        return stream_anthropic(messages, **options)
    raise ValueError(f"unknown api {api!r}: use demo, openai, responses or anthropic")


async def _model_step(
    ctx: InteractionContext,
    api: str,
    messages: list[Message],
    tools: Mapping[str, Tool],
    params: dict[str, Any],
) -> Message | None:
    """Stream one model reply as this agent's next message; None when it failed (the
    failure is already in the reply, at its position)."""
    model = str(params.get("model", DEMO_MODEL))
    alias = ctx.this_agent.alias

    async def tokens(fields: dict[str, Any]) -> AsyncIterator[str]:
        stream = _model_stream(api, messages, tools, params, ctx.attempt)
        try:
            async with stream:
                async for token in stream:
                    ctx.mark_first_token()
                    yield token
        finally:
            result = stream.result
            settle_usage(ctx, fields, result, alias, model)
            fields["tool_calls"] = tuple(
                ToolCall(id=call.id, name=call.name, arguments=call.arguments or "{}")
                for call in result.tool_calls
                if result.done
            )

    promise = MessagePromise(
        tokens,
        message_class=ToolCallsMessage,
        errors_as_messages=ctx.errors_as_messages,
        model=model,
        agent_alias=alias,
        role="assistant",
    )
    ctx.reply(promise)
    try:
        message = await promise
    except asyncio.CancelledError:
        raise
    except Exception:
        return None
    return None if isinstance(message, ErrorMessage) else message


async def _run_live(
    ctx: InteractionContext,
    tools: Mapping[str, Tool],
    calls: Sequence[ToolCall],
    ready: Mapping[str, ToolResultMessage],
    time_limit: float,
    order: Sequence[ToolCall],
) -> dict[str, ToolResultMessage]:
    """Run `calls` concurrently; reply every result of `order` (the step's calls) in order,
    those in `ready` (recorded before, or refused) as they are.

    A running call is replied at once as a promise that resolves when the call ends, so the
    IDE shows it running in the agent's pane while it runs, not only once all have ended.
    """
    running = {
        call.id: asyncio.ensure_future(run_call(tools, call, time_limit=time_limit))
        for call in calls
        if call.id not in ready
    }
    try:
        for call in order:
            if call.id in ready:
                ctx.reply(ready[call.id])
            elif call.id in running:
                ctx.reply(_result_promise(ctx, call, running[call.id]))
        await asyncio.gather(*running.values())
    finally:
        for task in running.values():
            task.cancel()
    return {call_id: task.result() for call_id, task in running.items()}


def _result_promise(
    ctx: InteractionContext, call: ToolCall, task: asyncio.Future[ToolResultMessage]
) -> MessagePromise:
    async def tokens(fields: dict[str, Any]) -> AsyncIterator[str]:
        result = await asyncio.shield(task)
        # `name` is also MessagePromise's own parameter (the promise's name), so the tool's
        # name reaches the message through the fields.
        fields.update(name=call.name, is_error=result.is_error, duration_ms=result.duration_ms)
        yield result.text

    return MessagePromise(
        tokens,
        message_class=ToolResultMessage,
        errors_as_messages=ctx.errors_as_messages,
        name=f"tool {call.name}",
        role=TOOL_ROLE,
        call_id=call.id,
    )


def _plain(value: Any) -> Any:
    """`value` with frozen containers turned back into lists and dicts, for the SDKs."""
    if isinstance(value, FrozenMapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _plain_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in params.items()}


def _last_asking(history: Sequence[Message]) -> Message:
    return next(message for message in reversed(history) if tool_calls_of(message))


def _stop(kind: str, text: str) -> ErrorMessage:
    return ErrorMessage(text=f"{kind}: {text}", error_type=kind, error_text=text)


@agent(alias="TOOL_LOOP_AGENT")
async def tool_loop_agent(
    ctx: InteractionContext,
    *,
    tools: Mapping[str, Tool] | Sequence[Tool] = (),
    api: str = "demo",
    max_steps: int = DEFAULT_MAX_STEPS,
    tool_timeout: float = DEFAULT_TOOL_TIMEOUT,
    on_tool_error: str = "continue",
    tool_fingerprint: Any = None,
    policies: Mapping[str, str] | None = None,
    **params: Any,
) -> None:
    """Answer with tools: model step, calls, results, model step ... (see the module doc).

    Build it with `agent_with_tools` rather than directly. `params` go to the provider
    (``model``, ``system``, ``base_url``, ``api_key_env``, ``provider`` (the name shown in
    errors), ``temperature`` ...).
    ``on_tool_error="stop"`` ends the run after a failed call (its error result recorded);
    ``"continue"`` lets the model read the error and go on. `tool_fingerprint` only makes
    the cache key change with the tools. `policies` are tool policies by name or glob
    (``allow``, ``ask``, ``deny``; see `policy.py`).
    """
    del tool_fingerprint
    named = tools_by_name(tools if isinstance(tools, Mapping) else tuple(tools))
    history = list(await ctx.message_promises)
    tip = ReplyTip(ctx.run.input_node if ctx.run is not None else None, ctx.this_agent.alias)
    settings = interrupt_settings(ctx.session) if ctx.session is not None else None
    gate = Gate(named, _policies(policies), settings, history)
    alias = ctx.this_agent.alias
    steps = 0
    while True:
        pending = unanswered_calls(history)
        if pending:
            plan = gate.plan_calls(pending)
            if plan.stop is not None:
                ctx.reply(plan.stop)
                return
            asked = _last_asking(history)
            reused = await recorded_results(ctx.session, tip.hash, asked, pending)
            ready = {**plan.refused, **reused}
            ran = await _run_live(ctx, named, [*plan.run], ready, tool_timeout, pending)
            for call in pending:
                result = ready.get(call.id) or ran[call.id]
                tip.follow(result)
                history.append(result)
            failed = [result for result in ran.values() if result.is_error]
            if failed and on_tool_error == "stop":
                first = failed[0]
                ctx.reply(_stop("ToolFailed", f"{first.name}: {first.text} (the run stopped)"))
                return
        stop = gate.after_tools(history)
        visible = gate.model_view(history)
        if stop is None and gate.resumed and _answered_finally(visible):
            # Resumed after a breakpoint behind a final answer: nothing is left to do.
            return
        stop = stop or gate.before_model(alias, history)
        if stop is not None:
            ctx.reply(stop)
            return
        if steps >= max_steps:
            ctx.reply(
                _stop(
                    "StepLimitReached",
                    f"no final answer after {max_steps} model calls; raise max_steps to go on",
                )
            )
            return
        steps += 1
        message = await _model_step(ctx, api, visible, named, _plain_kwargs(params))
        if message is None:
            return
        tip.follow(message)
        history.append(message)
        stop = gate.after_model(alias, message)
        if stop is not None:
            ctx.reply(stop)
            return
        if not tool_calls_of(message):
            return


def _answered_finally(visible: Sequence[Message]) -> bool:
    return (
        bool(visible) and isinstance(visible[-1], ToolCallsMessage) and not visible[-1].tool_calls
    )


def _policies(policies: Mapping[str, str] | None) -> dict[str, Policy]:
    found: dict[str, Policy] = {}
    for name, policy in (policies or {}).items():
        if policy not in POLICIES:
            raise ValueError(f"the policy of {name} is {policy!r}: use allow, ask or deny")
        found[name] = "allow" if policy == "allow" else "ask" if policy == "ask" else "deny"
    return found


def agent_with_tools(
    tools: Mapping[str, Tool] | Sequence[Tool],
    *,
    api: Api = "demo",
    alias: str = "tools",
    max_steps: int = DEFAULT_MAX_STEPS,
    tool_timeout: float = DEFAULT_TOOL_TIMEOUT,
    on_tool_error: OnToolError = "continue",
    policies: Mapping[str, Policy] | None = None,
    **params: Any,
) -> Agent:
    """An agent that answers with `tools` through `api` (see `tool_loop_agent`).

        agent = agent_with_tools([add], api="openai", model="gpt-4o-mini")
        await session.inquire(agent)

    The tools themselves are live objects (not part of the agent's hash); their names,
    schemas and annotations are, so changing a tool changes the cache key. `policies`:
    ``{"name or glob": "allow" | "ask" | "deny"}`` over each tool's default (`policy.py`).
    """
    if api not in ("demo", "openai", "responses", "anthropic"):
        raise ValueError(f"unknown api {api!r}: use demo, openai, responses or anthropic")
    if api != "demo" and not isinstance(params.get("model"), str):
        raise TypeError(f"agent_with_tools(api={api!r}) needs a model: model='...'")
    named = tools_by_name(tools if isinstance(tools, Mapping) else tuple(tools))
    return tool_loop_agent.fork(
        alias=alias,
        non_freezable_kwargs={"tools": named},
        api=api,
        max_steps=max_steps,
        tool_timeout=tool_timeout,
        on_tool_error=on_tool_error,
        tool_fingerprint=tuple(item.fingerprint() for item in named.values()),
        policies=dict(_policies(policies)),
        **params,
    )


def with_tools(
    base: Agent,
    tools: Mapping[str, Tool] | Sequence[Tool],
    *,
    alias: str | None = None,
    **options: Any,
) -> Agent:
    """The tool loop on the model `base` talks to: an agent from `agent_for_model`, or a fork
    of `openai_agent`, `anthropic_agent` or `demo_agent`; its kwargs (model, ``base_url``, key
    variable ...) carry over. `options` are `agent_with_tools`'s (``max_steps`` ...)."""
    apis: dict[str, Api] = {
        openai_agent.function: "openai",
        anthropic_agent.function: "anthropic",
        demo_agent.function: "demo",
    }
    api = apis.get(base.function)
    if api is None:
        raise TypeError(
            f"with_tools needs a model agent (agent_for_model, openai_agent, anthropic_agent or "
            f"demo_agent), not {base.alias}"
        )
    params = {**_plain_kwargs(base.params), **options}
    return agent_with_tools(tools, api=api, alias=alias or base.alias, **params)


#: The offline demo model with the calculator and the clock: "what is 12*7" works with no key.
demo_tool_agent = agent_with_tools(DEMO_TOOLS, api="demo", alias="demo-tools")
