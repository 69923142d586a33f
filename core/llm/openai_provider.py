"""OpenAI Chat Completions streaming, for OpenAI and any OpenAI-compatible endpoint
(Ollama, vLLM, LM Studio, llama.cpp server) reached through ``base_url``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from ..messages import Message
from ._clients import call_kwargs, openai_client
from .errors import provider_error
from .keys import api_key
from .roles import DefaultRole, openai_conversation
from .stream import StreamedToolCall, StreamResult, TokenStream

__all__ = ["stream_openai"]

# Local OpenAI-compatible servers ignore the key, but the SDK insists on one.
_NO_KEY = "no-key-needed"


def stream_openai(
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
    """Stream a Chat Completions reply to `messages`, token by token.

    Nothing happens until the stream is iterated; every failure (a missing key included)
    is raised from iteration as a `ProviderError`.

    Args:
        system: instructions sent as the first, ``system`` message.
        base_url: an OpenAI-compatible endpoint; the SDK default when None.
        api_key_env: the environment variable holding the key; None for endpoints that
            need no key.
        provider: the name used in error messages.
        default_role: the role of messages whose ``role`` is None.
        timeout, max_retries: SDK client options (None: the SDK's defaults).
        params: any other ``chat.completions.create`` parameter, passed through.
    """
    request: dict[str, Any] = {
        "model": model,
        "messages": openai_conversation(messages, system=system, default_role=default_role),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if temperature is not None:
        request["temperature"] = temperature
    if max_tokens is not None:
        request["max_tokens"] = max_tokens
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
    api_key_env: str | None,
    client_options: tuple[float | None, int | None],
) -> AsyncGenerator[str, None]:
    key = ""
    calls: dict[int, StreamedToolCall] = {}
    try:
        key = api_key(api_key_env, provider=result.provider) if api_key_env else _NO_KEY
        client = openai_client(base_url, key, *client_options)
        create = client.chat.completions.create
        stream = await create(**call_kwargs(create, request))
        async with stream:
            async for chunk in stream:
                if chunk.model:
                    result.model = chunk.model
                if chunk.usage is not None:
                    result.input_tokens = chunk.usage.prompt_tokens
                    result.output_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.finish_reason:
                        result.finish_reason = choice.finish_reason
                    if choice.delta.tool_calls:
                        _add_tool_call_deltas(result, calls, choice.delta.tool_calls)
                    if choice.delta.content:
                        yield choice.delta.content
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


def _add_tool_call_deltas(
    result: StreamResult, calls: dict[int, StreamedToolCall], deltas: list[Any]
) -> None:
    """Grow the streamed tool calls: the first delta of a call (by ``index``) brings its id and
    name, the later ones pieces of its arguments."""
    for delta in deltas:
        call = calls.get(delta.index)
        function = delta.function
        if call is None:
            call = StreamedToolCall(id=delta.id or f"call_{delta.index}", name="")
            calls[delta.index] = call
            result.tool_calls.append(call)
        if function is not None:
            if function.name:
                call.name += function.name
            if function.arguments:
                call.arguments += function.arguments
