"""Provider failures as one clear line: what went wrong, then what to do.

Every exception a provider call can raise (SDK errors, transport errors, a missing key) is
turned into a `ProviderError` by `provider_error`. The texts never contain an API key or a
URL's credentials: the keys Ramify read from the environment (whatever their shape) are
scrubbed from anything a server sent back, key-shaped strings are masked too, and every URL
loses its user info and secret-looking query values.
"""

from __future__ import annotations

import re
from typing import Literal

from ..redact import MASK, redact_url, redact_urls
from .keys import configured_keys

__all__ = ["ErrorKind", "MissingKeyError", "ProviderError", "provider_error", "scrub"]

ErrorKind = Literal[
    "missing_key",
    "auth",
    "permission",
    "not_found",
    "bad_request",
    "rate_limit",
    "server",
    "connection",
    "dropped",
    "timeout",
    "unknown",
]

# Shapes of provider keys (sk-..., sk-ant-...), masked even when the exact key is unknown.
_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{6,}|key-[A-Za-z0-9_\-]{16,})")


class ProviderError(Exception):
    """A provider call failed. ``str(error)`` is one line: the cause, then what to do.

    Attributes:
        kind: the failure class (see `ErrorKind`), for code that reacts to it.
        provider: "OpenAI", "Anthropic", a configured provider name, or "demo".
        status: the HTTP status, when there was one.
        partial_text: what had streamed before the failure (empty if nothing had).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind = "unknown",
        provider: str = "",
        status: int | None = None,
        partial_text: str = "",
    ) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.provider = provider
        self.status = status
        self.partial_text = partial_text


class MissingKeyError(ProviderError):
    """No API key in the environment variable the provider reads."""

    def __init__(self, env_var: str, *, provider: str = "") -> None:
        super().__init__(
            f"{env_var} is not set; export it or pick the demo model",
            kind="missing_key",
            provider=provider,
        )
        self.env_var = env_var


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` on one line, with each secret, each configured key, the credentials in any URL
    and anything key-shaped masked."""
    for secret in sorted({*secrets, *configured_keys()}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    text = _KEY_PATTERN.sub(MASK, redact_urls(text))
    return " ".join(text.split())


def _server_detail(error: BaseException) -> str:
    """The ``message`` from a provider's JSON error body, if any."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return ""


def _is_timeout(error: BaseException) -> bool:
    return any(
        cls.__name__ in ("APITimeoutError", "TimeoutException") for cls in type(error).__mro__
    )


def _is_transport(error: BaseException) -> bool:
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"APIConnectionError", "TransportError"}) or isinstance(
        error, (ConnectionError, OSError)
    )


def provider_error(
    error: BaseException,
    *,
    provider: str,
    model: str,
    key_env: str,
    base_url: str | None = None,
    partial_text: str = "",
    secrets: tuple[str, ...] = (),
) -> ProviderError:
    """Describe `error`, raised while calling `provider` for `model`, as a `ProviderError`.

    Args:
        key_env: the environment variable the key came from, named in auth hints.
        base_url: the endpoint, named in connection hints (None: the provider's default).
        partial_text: what had streamed already; a connection failure after it is "dropped".
        secrets: strings to mask in anything quoted from the server (the API key).
    """
    if isinstance(error, ProviderError):
        if partial_text and not error.partial_text:
            error.partial_text = partial_text
        return error
    where = f" at {redact_url(base_url)}" if base_url else ""
    status = getattr(error, "status_code", None)
    detail = scrub(_server_detail(error), secrets)
    said = f" ({detail})" if detail and status not in (401, 403) else ""
    kind: ErrorKind
    if isinstance(status, int):
        if status == 401:
            kind, text = "auth", f"{provider} rejected the API key (401); check {key_env}"
        elif status == 403:
            kind = "permission"
            text = (
                f"{provider} refused access to model '{model}' (403); check that your "
                f"account may use it, or pick another model"
            )
        elif status == 404:
            kind = "not_found"
            text = (
                f"{provider} does not know model '{model}' (404){said}; check the model "
                f"name{' and base_url' if base_url else ''} in your config"
            )
        elif status == 429:
            kind = "rate_limit"
            text = (
                f"{provider} rate limit or quota exceeded (429) after retries{said}; wait and "
                "retry, or check your plan's limits"
            )
        elif status >= 500:
            kind = "server"
            text = f"{provider} server error ({status}){said}; retry in a moment"
        else:
            kind = "bad_request"
            text = f"{provider} refused the request ({status}){said}; check the model parameters"
    elif _is_timeout(error):
        kind = "timeout"
        text = f"{provider}{where} did not answer in time; retry, or raise the timeout"
    elif _is_transport(error):
        if partial_text:
            kind = "dropped"
            text = (
                f"the connection to {provider}{where} dropped mid-reply; the partial reply "
                "was kept, retry to get the rest"
            )
        else:
            kind = "connection"
            text = (
                f"could not reach {provider}{where}; check your network"
                f"{' and the base_url' if base_url else ''}"
            )
    else:
        kind = "unknown"
        detail = scrub(str(error), secrets)
        text = f"{provider} call failed: {type(error).__name__}{': ' + detail if detail else ''}"
    return ProviderError(
        scrub(text, secrets),
        kind=kind,
        provider=provider,
        status=status if isinstance(status, int) else None,
        partial_text=partial_text,
    )
