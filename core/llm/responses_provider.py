"""OpenAI Responses API streaming (``POST /v1/responses``), text and tool calls."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from ..messages import Message
from ._clients import call_kwargs, openai_client
from .errors import provider_error
from .keys import api_key
from .roles import DefaultRole, openai_conversation
from .stream import StreamedToolCall, StreamResult, TokenStream

__all__ = ["responses_input", "stream_responses"]

_NO_KEY = "no-key-needed"


def responses_input(
    messages: Sequence[Message], *, default_role: DefaultRole = "user"
) -> list[dict[str, Any]]:
    """The Responses ``input`` items: role messages, ``function_call`` items for an assistant
    message's tool calls and ``function_call_output`` items for tool results."""
    items: list[dict[str, Any]] = []
    for entry in openai_conversation(messages, default_role=default_role):
        if entry["role"] == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": entry["tool_call_id"],
                    "output": entry["content"],
                }
            )
        elif entry.get("tool_calls"):
            if entry["content"]:
                items.append({"role": "assistant", "content": entry["content"]})
            for call in entry["tool_calls"]:
                function = call["function"]
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call["id"],
                        "name": function["name"],
                        "arguments": function["arguments"],
                    }
                )
        else:
            items.append({"role": entry["role"], "content": entry["content"]})
    return items


def stream_responses(
    messages: Sequence[Message],
    *,
    model: str,
    system: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    base_url: str | None = None,
    api_key_env: str | None = "OPENAI_API_KEY",
    provider: str = "OpenAI",
    default_role: DefaultRole = "user",
    timeout: float | None = None,
    max_retries: int | None = None,
    **params: Any,
) -> TokenStream:
    """Stream a Responses API reply to `messages`; tool calls fill `StreamResult.tool_calls`.

    `system` becomes ``instructions``; `max_tokens` is ``max_output_tokens``; `params` are
    passed through (``tools`` among them). The rest as for `stream_openai`.
    """
    request: dict[str, Any] = {
        "model": model,
        "input": responses_input(messages, default_role=default_role),
        "stream": True,
    }
    if system:
        request["instructions"] = system
    if temperature is not None:
        request["temperature"] = temperature
    if max_tokens is not None:
        request["max_output_tokens"] = max_tokens
    request.update(params)
    result = StreamResult(model=model, provider=provider)
    return TokenStream(
        result, _tokens(result, request, base_url, api_key_env, (timeout, max_retries))
    )


async def _tokens(
    result: StreamResult,
    request: dict[str, Any],
    base_url: str | None,
    api_key_env: str | None,
    client_options: tuple[float | None, int | None],
) -> AsyncGenerator[str, None]:
    key = ""
    calls: dict[str, StreamedToolCall] = {}
    try:
        key = api_key(api_key_env, provider=result.provider) if api_key_env else _NO_KEY
        client = openai_client(base_url, key, *client_options)
        create = client.responses.create
        stream = await create(**call_kwargs(create, request))
        async with stream:
            async for event in stream:
                kind = event.type
                if kind == "response.output_text.delta":
                    if event.delta:
                        yield event.delta
                elif kind == "response.output_item.added" and event.item.type == "function_call":
                    item = event.item
                    call = StreamedToolCall(id=item.call_id, name=item.name)
                    calls[item.id or item.call_id] = call
                    result.tool_calls.append(call)
                elif kind == "response.function_call_arguments.delta":
                    if event.item_id in calls:
                        calls[event.item_id].arguments += event.delta
                elif kind in ("response.completed", "response.incomplete"):
                    response = event.response
                    result.model = response.model or result.model
                    if response.usage is not None:
                        result.input_tokens = response.usage.input_tokens
                        result.output_tokens = response.usage.output_tokens
                    result.finish_reason = response.status
    except Exception as error:
        raise provider_error(
            error,
            provider=result.provider,
            model=str(request["model"]),
            key_env=api_key_env or "the API key",
            base_url=base_url,
            partial_text=result.text,
            secrets=(key,),
        ) from None
