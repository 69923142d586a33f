"""API keys: read from the environment only, never stored.

Ramify writes no key to its config, sessions, exports or logs; this module is the one
place that reads them.
"""

from __future__ import annotations

import os

from .errors import MissingKeyError

__all__ = ["DEFAULT_KEY_ENV", "api_key", "has_api_key"]

#: The standard environment variable of each provider kind.
DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def api_key(env_var: str, *, provider: str = "") -> str:
    """The key in `env_var`; raises `MissingKeyError` when it is unset or blank."""
    value = os.environ.get(env_var, "").strip()
    if not value:
        raise MissingKeyError(env_var, provider=provider)
    return value


def has_api_key(env_var: str) -> bool:
    """Whether `env_var` holds a key (to choose the demo model when none is configured)."""
    return bool(os.environ.get(env_var, "").strip())
