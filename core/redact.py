"""Masking secrets in URLs before one is shown or stored.

A ``base_url`` may carry credentials: ``https://user:pass@host/`` or ``?api_key=...``. Error
texts, error nodes, run records and exports name the endpoint, so every URL goes through
`redact_url` (or, inside free text, `redact_urls`) first.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

__all__ = ["MASK", "redact_url", "redact_urls"]

MASK = "***"
"""What a secret is replaced with."""

# Query parameter names whose value is a credential: api_key, access_token, X-Amz-Signature,
# client_secret, password, auth... Matched anywhere in the name, case-insensitively.
_SECRET_NAME = re.compile(
    r"key|token|secret|passw|pwd|auth|sig|credential|session|cookie|bearer", re.IGNORECASE
)
_PARAMETER = re.compile(r"([^&;=]*)(=?)([^&;]*)")
# A URL inside free text: a scheme, "://", then anything up to white space or a quote, less
# the punctuation that ends a sentence.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`]*[^\s\"'<>`.,;:!?)\]]")


def redact_url(url: str) -> str:
    """`url` with its user info and secret-looking query and fragment values masked.

    ``https://me:pw@host/v1?api_key=k&x=1`` becomes ``https://***@host/v1?api_key=***&x=1``.
    Text that is not a URL comes back unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        # Unparsable (a broken IPv6 literal): mask user info and parameters all the same.
        head, question, query = url.partition("?")
        return re.sub(r"(://)[^/@]*@", rf"\1{MASK}@", head) + question + _mask_values(query)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    return SplitResult(
        parts.scheme, netloc, parts.path, _mask_values(parts.query), _mask_values(parts.fragment)
    ).geturl()


def redact_urls(text: str) -> str:
    """`text` with every URL in it passed through `redact_url`."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group()), text)


def _mask_values(query: str) -> str:
    def mask(match: re.Match[str]) -> str:
        name, equals, value = match.groups()
        if equals and value and _SECRET_NAME.search(name):
            return f"{name}={MASK}"
        return match.group()

    return _PARAMETER.sub(mask, query)
