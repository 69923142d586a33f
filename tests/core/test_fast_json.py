"""`fast_encoder` encodes exactly as the encoder it stands for, with its options."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ramify.core.fast_json import fast_encoder

CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
DATA = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
documents = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(documents)
def test_it_encodes_as_the_encoder_does(document: object) -> None:
    for encoder in (CANONICAL, DATA):
        assert fast_encoder(encoder, {"a": 1})(document) == encoder.encode(document)


def test_it_keeps_the_encoders_options() -> None:
    assert fast_encoder(CANONICAL, {})({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    assert fast_encoder(DATA, {})({"b": math.nan}) == '{"b":NaN}'
    with pytest.raises(ValueError, match="Out of range float"):
        fast_encoder(CANONICAL, {})({"b": math.nan})


def test_without_cpythons_c_encoder_it_is_the_encoders_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    assert fast_encoder(CANONICAL, {}) == CANONICAL.encode
