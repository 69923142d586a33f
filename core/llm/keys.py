"""API keys: read from the environment only, never stored.

Ramify writes no key to its config, sessions, exports or logs; this module is the one
place that reads them, and it remembers each one so that `configured_keys` can name them
to the code that masks secrets in error texts, whatever shape a key has.
"""

from __future__ import annotations

import os

__all__ = ["DEFAULT_KEY_ENV", "MIN_MASKED_KEY_LENGTH", "api_key", "configured_keys", "has_api_key"]

#: The standard environment variable of each provider kind.
DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}

MIN_MASKED_KEY_LENGTH = 8
"""Shorter values (``none``, ``ollama`` for a local server) are not secrets, and masking
them would blank ordinary words of an error text."""

# Environment variables a key was read from in this process.
_KEY_ENVS: set[str] = set(DEFAULT_KEY_ENV.values())


def api_key(env_var: str, *, provider: str = "") -> str:
    """The key in `env_var`; raises `MissingKeyError` when it is unset or blank."""
    # Imported here: errors.py masks the keys this module reads, so it imports this module.
    from .errors import MissingKeyError

    _KEY_ENVS.add(env_var)
    value = os.environ.get(env_var, "").strip()
    if not value:
        raise MissingKeyError(env_var, provider=provider)
    return value


def configured_keys() -> tuple[str, ...]:
    """Every key now in a variable Ramify reads keys from (the standard ones and any a
    provider call used), longest first, so a key containing another is masked whole."""
    values = {os.environ.get(name, "").strip() for name in _KEY_ENVS}
    return tuple(
        sorted((v for v in values if len(v) >= MIN_MASKED_KEY_LENGTH), key=len, reverse=True)
    )


def has_api_key(env_var: str) -> bool:
    """Whether `env_var` holds a key (to choose the demo model when none is configured)."""
    return bool(os.environ.get(env_var, "").strip())
