"""The three wire protocols the fake provider speaks, as Server-Sent-Event byte chunks.

Each protocol splits a reply into a prelude (sent before the first token), one event per
token and an epilogue, so the server can pace, cut or stall between any two of them. The
shapes follow what the real SDKs require (see the module tests): OpenAI chunks carry
``object`` and ``choices[].index``; Anthropic events carry an ``event:`` line and start with
``message_start``; Responses events follow the full lifecycle with ``sequence_number``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["PROTOCOLS", "ScriptedToolCall", "WireProtocol", "sse"]


@dataclass(frozen=True)
class ScriptedToolCall:
    """A tool call the fake streams after the reply's text: its arguments (JSON text, or
    anything, to test malformed calls) arrive in pieces of `piece` characters."""

    name: str
    arguments: str = "{}"
    id: str | None = None
    piece: int = 7

    def pieces(self) -> list[str]:
        """The argument deltas, in order."""
        text = self.arguments
        return [text[start : start + self.piece] for start in range(0, len(text), self.piece)]

    def call_id(self, index: int, prefix: str) -> str:
        """Its id, or a fixed one from its position."""
        return self.id or f"{prefix}{index}"


def sse(data: Any, event: str | None = None) -> bytes:
    """One Server-Sent Event; `data` is JSON-encoded unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return ((f"event: {event}\n" if event else "") + f"data: {payload}\n\n").encode()


class WireProtocol:
    """How one API frames a reply. Subclasses fill in the event shapes."""

    #: Finish reason used when the script gives none.
    default_finish_reason = "stop"
    #: Finish reason used when the script gives none and the reply calls tools.
    tool_finish_reason = "tool_calls"

    def __init__(
        self, body: dict[str, Any], model: str, input_tokens: int, output_tokens: int
    ) -> None:
        self.body = body
        self.model = model
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.created = int(time.time())

    def prelude(self) -> list[bytes]:
        """Events sent before the first token."""
        return []

    def token(self, text: str) -> bytes:
        """The event carrying one token."""
        raise NotImplementedError

    def epilogue(
        self, text: str, finish_reason: str, calls: Sequence[ScriptedToolCall] = ()
    ) -> list[bytes]:
        """Events sent after the last token (`calls` streamed first); `text` is the whole
        reply."""
        raise NotImplementedError

    def complete(self, text: str, finish_reason: str) -> dict[str, Any]:
        """The JSON body of a non-streamed reply."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> dict[str, Any]:
        """The JSON body of an error response."""
        return {"error": {"message": message, "type": _openai_error_type(status), "code": None}}


def _openai_error_type(status: int) -> str:
    return {
        400: "invalid_request_error",
        401: "invalid_request_error",
        403: "permission_error",
        404: "invalid_request_error",
        429: "rate_limit_exceeded",
    }.get(status, "server_error")


class ChatCompletions(WireProtocol):
    """OpenAI ``POST /v1/chat/completions``."""

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        return sse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": choices,
                **extra,
            }
        )

    def _usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
        }

    def prelude(self) -> list[bytes]:
        delta = {"role": "assistant", "content": ""}
        return [self._chunk([{"index": 0, "delta": delta, "finish_reason": None}])]

    def token(self, text: str) -> bytes:
        return self._chunk([{"index": 0, "delta": {"content": text}, "finish_reason": None}])

    def _tool_call_chunks(self, calls: Sequence[ScriptedToolCall]) -> list[bytes]:
        events = []
        for index, call in enumerate(calls):
            first = {
                "index": index,
                "id": call.call_id(index, "call_fake_"),
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            events.append(self._choice_delta({"tool_calls": [first]}))
            for piece in call.pieces():
                delta = {"index": index, "function": {"arguments": piece}}
                events.append(self._choice_delta({"tool_calls": [delta]}))
        return events

    def _choice_delta(self, delta: dict[str, Any]) -> bytes:
        return self._chunk([{"index": 0, "delta": delta, "finish_reason": None}])

    def epilogue(
        self, text: str, finish_reason: str, calls: Sequence[ScriptedToolCall] = ()
    ) -> list[bytes]:
        events = self._tool_call_chunks(calls)
        events.append(self._chunk([{"index": 0, "delta": {}, "finish_reason": finish_reason}]))
        if (self.body.get("stream_options") or {}).get("include_usage"):
            events.append(self._chunk([], usage=self._usage()))
        events.append(sse("[DONE]"))
        return events

    def complete(self, text: str, finish_reason: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": self._usage(),
        }


class AnthropicMessages(WireProtocol):
    """Anthropic ``POST /v1/messages``."""

    default_finish_reason = "end_turn"
    tool_finish_reason = "tool_use"

    def _event(self, data: dict[str, Any]) -> bytes:
        return sse(data, event=data["type"])

    def _message(self, content: list[dict[str, Any]], stop_reason: str | None) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens},
        }

    def prelude(self) -> list[bytes]:
        message = self._message([], None)
        message["usage"] = {"input_tokens": self.input_tokens, "output_tokens": 1}
        return [
            self._event({"type": "message_start", "message": message}),
            self._event(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                }
            ),
            self._event({"type": "ping"}),
        ]

    def token(self, text: str) -> bytes:
        delta = {"type": "text_delta", "text": text}
        return self._event({"type": "content_block_delta", "index": 0, "delta": delta})

    def _tool_blocks(self, calls: Sequence[ScriptedToolCall]) -> list[bytes]:
        events = []
        for offset, call in enumerate(calls):
            index = offset + 1
            block = {
                "type": "tool_use",
                "id": call.call_id(offset, "toolu_fake_"),
                "name": call.name,
                "input": {},
            }
            events.append(
                self._event({"type": "content_block_start", "index": index, "content_block": block})
            )
            for piece in call.pieces():
                delta = {"type": "input_json_delta", "partial_json": piece}
                events.append(
                    self._event({"type": "content_block_delta", "index": index, "delta": delta})
                )
            events.append(self._event({"type": "content_block_stop", "index": index}))
        return events

    def epilogue(
        self, text: str, finish_reason: str, calls: Sequence[ScriptedToolCall] = ()
    ) -> list[bytes]:
        return [
            self._event({"type": "content_block_stop", "index": 0}),
            *self._tool_blocks(calls),
            self._event(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": finish_reason, "stop_sequence": None},
                    "usage": {"output_tokens": self.output_tokens},
                }
            ),
            self._event({"type": "message_stop"}),
        ]

    def complete(self, text: str, finish_reason: str) -> dict[str, Any]:
        return self._message([{"type": "text", "text": text}], finish_reason)

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            429: "rate_limit_error",
            529: "overloaded_error",
        }.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}


class OpenAIResponses(WireProtocol):
    """OpenAI ``POST /v1/responses``, with the whole event lifecycle the ``.stream()`` helper
    checks."""

    default_finish_reason = "completed"
    tool_finish_reason = "completed"

    def __init__(
        self, body: dict[str, Any], model: str, input_tokens: int, output_tokens: int
    ) -> None:
        super().__init__(body, model, input_tokens, output_tokens)
        self._sequence = 0

    def _event(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return sse(data, event=kind)

    def _item(self, text: str | None) -> dict[str, Any]:
        content = [] if text is None else [self._part(text)]
        status = "in_progress" if text is None else "completed"
        return {
            "id": "msg_fake",
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    @staticmethod
    def _part(text: str) -> dict[str, Any]:
        return {"type": "output_text", "text": text, "annotations": []}

    def _response(self, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
        response: dict[str, Any] = {
            "id": "resp_fake",
            "object": "response",
            "created_at": self.created,
            "status": status,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
        if status != "in_progress":
            response["usage"] = {
                "input_tokens": self.input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": self.output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": self.input_tokens + self.output_tokens,
            }
        return response

    def _where(self) -> dict[str, Any]:
        return {"item_id": "msg_fake", "output_index": 0, "content_index": 0}

    def prelude(self) -> list[bytes]:
        return [
            self._event("response.created", response=self._response("in_progress", [])),
            self._event("response.in_progress", response=self._response("in_progress", [])),
            self._event("response.output_item.added", output_index=0, item=self._item(None)),
            self._event(
                "response.content_part.added",
                item_id="msg_fake",
                output_index=0,
                content_index=0,
                part=self._part(""),
            ),
        ]

    def token(self, text: str) -> bytes:
        return self._event("response.output_text.delta", **self._where(), delta=text, logprobs=[])

    def _function_calls(
        self, calls: Sequence[ScriptedToolCall]
    ) -> tuple[list[bytes], list[dict[str, Any]]]:
        events: list[bytes] = []
        items: list[dict[str, Any]] = []
        for offset, call in enumerate(calls):
            index = offset + 1
            item = {
                "id": f"fc_fake_{offset}",
                "type": "function_call",
                "status": "in_progress",
                "call_id": call.call_id(offset, "call_fake_"),
                "name": call.name,
                "arguments": "",
            }
            events.append(self._event("response.output_item.added", output_index=index, item=item))
            for piece in call.pieces():
                events.append(
                    self._event(
                        "response.function_call_arguments.delta",
                        item_id=item["id"],
                        output_index=index,
                        delta=piece,
                    )
                )
            done = {**item, "status": "completed", "arguments": call.arguments}
            events.append(
                self._event(
                    "response.function_call_arguments.done",
                    item_id=item["id"],
                    output_index=index,
                    name=call.name,
                    arguments=call.arguments,
                )
            )
            events.append(self._event("response.output_item.done", output_index=index, item=done))
            items.append(done)
        return events, items

    def epilogue(
        self, text: str, finish_reason: str, calls: Sequence[ScriptedToolCall] = ()
    ) -> list[bytes]:
        item = self._item(text)
        call_events, call_items = self._function_calls(calls)
        return [
            self._event("response.output_text.done", **self._where(), text=text, logprobs=[]),
            self._event("response.content_part.done", **self._where(), part=self._part(text)),
            self._event("response.output_item.done", output_index=0, item=item),
            *call_events,
            self._event(
                f"response.{finish_reason}",
                response=self._response(finish_reason, [item, *call_items]),
            ),
        ]

    def complete(self, text: str, finish_reason: str) -> dict[str, Any]:
        return self._response(finish_reason, [self._item(text)])


PROTOCOLS: dict[str, type[WireProtocol]] = {
    "/v1/chat/completions": ChatCompletions,
    "/v1/messages": AnthropicMessages,
    "/v1/responses": OpenAIResponses,
}


def count_words(values: Sequence[str]) -> int:
    """A rough token count: whitespace-separated words (the fake needs no tokenizer)."""
    return sum(len(value.split()) for value in values)
