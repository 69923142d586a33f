"""Anthropic Messages streaming."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from ..messages import Message
from ._clients import anthropic_client, call_kwargs
from .errors import provider_error
from .keys import api_key
from .roles import DefaultRole, anthropic_conversation
from .stream import StreamedToolCall, StreamResult, TokenStream

__all__ = ["DEFAULT_MAX_TOKENS", "stream_anthropic"]

#: Anthropic requires ``max_tokens``; this is used when the caller gives none.
DEFAULT_MAX_TOKENS = 4096


def stream_anthropic(
    messages: Sequence[Message],
    *,
    model: str,
    system: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    base_url: str | None = None,
    api_key_env: str = "ANTHROPIC_API_KEY",
    provider: str = "Anthropic",
    default_role: DefaultRole = "user",
    timeout: float | None = None,
    max_retries: int | None = None,
    **params: Any,
) -> TokenStream:
    """Stream a Messages reply to `messages`, token by token.

    Roles are mapped by `anthropic_conversation` (system text to the ``system`` parameter,
    same-role turns merged, a user turn first). Failures, a missing key included, are
    raised from iteration as `ProviderError`.

    Args:
        max_tokens: required by the API; `DEFAULT_MAX_TOKENS` when None.
        params: any other ``messages.create`` parameter, passed through.
        (the rest as for `stream_openai`)
    """
    system_text, turns = anthropic_conversation(messages, system=system, default_role=default_role)
    request: dict[str, Any] = {
        "model": model,
        "messages": turns,
        "max_tokens": max_tokens if max_tokens is not None else DEFAULT_MAX_TOKENS,
        "stream": True,
    }
    if system_text is not None:
        request["system"] = system_text
    if temperature is not None:
        request["temperature"] = temperature
    request.update(params)
    result = StreamResult(model=model, provider=provider)
    return TokenStream(
        result,
        _tokens(result, request, base_url, api_key_env, (timeout, max_retries)),
    )


async def _tokens(
    result: StreamResult,
    request: dict[str, Any],
    base_url: str | None,
    api_key_env: str,
    client_options: tuple[float | None, int | None],
) -> AsyncGenerator[str, None]:
    key = ""
    calls: dict[int, StreamedToolCall] = {}
    try:
        key = api_key(api_key_env, provider=result.provider)
        client = anthropic_client(base_url, key, *client_options)
        create = client.messages.create
        stream = await create(**call_kwargs(create, request))
        async with stream:
            async for event in stream:
                if event.type == "message_start":
                    result.model = event.message.model or result.model
                    result.input_tokens = event.message.usage.input_tokens
                elif event.type == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use":
                        call = StreamedToolCall(id=block.id, name=block.name)
                        calls[event.index] = call
                        result.tool_calls.append(call)
                elif event.type == "content_block_delta":
                    if event.delta.type == "text_delta" and event.delta.text:
                        yield event.delta.text
                    elif event.delta.type == "input_json_delta" and event.index in calls:
                        calls[event.index].arguments += event.delta.partial_json
                elif event.type == "message_delta":
                    result.output_tokens = event.usage.output_tokens
                    if event.delta.stop_reason:
                        result.finish_reason = event.delta.stop_reason
    except Exception as error:
        raise provider_error(
            error,
            provider=result.provider,
            model=str(request["model"]),
            key_env=api_key_env,
            base_url=base_url,
            partial_text=result.text,
            secrets=(key,),
        ) from None
