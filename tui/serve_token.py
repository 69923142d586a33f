"""The optional access token of `ramify serve`, read from ``RAMIFY_SERVE_TOKEN``.

textual-serve has no authentication. With the variable set, the server serves nothing (page,
websocket, downloads, static files) until the browser has shown the token once: opening
``http://HOST:PORT/?token=THE-TOKEN`` sets an HttpOnly, SameSite=Strict cookie holding it and
redirects to ``/`` (so the token leaves the address bar), and every later request carries the
cookie. The token comes only from the environment, so it is never printed or logged, and it
is removed from the environment before any tab starts, so no agent sees it. Without TLS it
crosses the network in clear text: on an untrusted network, put a TLS proxy in front.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping, MutableMapping

TOKEN_VARIABLE = "RAMIFY_SERVE_TOKEN"
COOKIE_PREFIX = "ramify_serve_token_"
"""Followed by the port: browsers share cookies between the ports of a host."""
MIN_LENGTH = 16
"""Characters a token must have: a short one could be guessed over the network."""


class TokenError(ValueError):
    """The token in the environment cannot be used; the message says what to do."""


def take_token(environ: MutableMapping[str, str] | None = None) -> str | None:
    """The token from the environment (None: not set), removed from it for the tabs."""
    token = (os.environ if environ is None else environ).pop(TOKEN_VARIABLE, None)
    if not token:
        return None
    if len(token) < MIN_LENGTH or not token.isprintable() or " " in token:
        raise TokenError(
            f"{TOKEN_VARIABLE} must be at least {MIN_LENGTH} printable characters without "
            'spaces; make one with: python -c "import secrets; print(secrets.token_urlsafe())"'
        )
    return token


def cookie_name(port: int) -> str:
    """The name of the cookie that holds the token of the server on `port`."""
    return f"{COOKIE_PREFIX}{port}"


def token_verdict(
    expected: str, cookie: str, query: Mapping[str, str], cookies: Mapping[str, str]
) -> str:
    """``"ok"`` (the cookie named `cookie` holds the token), ``"set"`` (the query does: set
    the cookie), or ``"refuse"``."""
    if _same(cookies.get(cookie), expected):
        return "ok"
    if _same(query.get("token"), expected):
        return "set"
    return "refuse"


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
