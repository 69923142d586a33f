"""`fast_encoder`: a `json.JSONEncoder`'s own C encoder, made once instead of per call.

`JSONEncoder.encode` makes a new C encoder on every call, about 1 us of a short message's 2 us
of encoding. Hashing (`frozen`) and storing (`store.sqlite`) encode every message, so each
makes its encoder once here. Without a circular-reference check (``markers=None``): the
values encoded are trees built from the leaves up, which cannot contain themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["fast_encoder"]


def fast_encoder(encoder: json.JSONEncoder, probe: Any) -> Callable[[Any], str]:
    """``encoder.encode``, through a C encoder made once with `encoder`'s options; plain
    ``encoder.encode`` where CPython's `_json` is missing or encodes `probe` differently."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    quote = (
        json.encoder.encode_basestring_ascii
        if encoder.ensure_ascii
        else json.encoder.encode_basestring
    )
    try:
        built = make(
            None,
            encoder.default,
            quote,
            None,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
        )
        if "".join(built(probe, 0)) != encoder.encode(probe):
            return encoder.encode
    except (TypeError, ValueError):
        return encoder.encode
    return lambda value: "".join(built(value, 0))
