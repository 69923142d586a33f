"""Frozen: immutability, freezing of containers, canonical hashing."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import PrivateAttr, ValidationError

from ramify.core import Frozen, FrozenMapping, UnfreezableValueError, canonical_json


class Sample(Frozen):
    name: str = ""
    items: list[Any] = []
    meta: dict[str, Any] = {}


class WithPrivate(Frozen):
    value: int = 0
    _cache: str = PrivateAttr(default="")


def test_frozen_refuses_assignment() -> None:
    sample = Sample(name="a")
    with pytest.raises(ValidationError):
        sample.name = "b"  # type: ignore[misc]


def test_lists_become_tuples_and_dicts_frozen_mappings() -> None:
    sample = Sample(items=[1, [2, 3]], meta={"k": {"n": [4]}}, extra_field=[5])
    assert sample.items == (1, (2, 3))
    assert isinstance(sample.meta, FrozenMapping)
    assert isinstance(sample.meta["k"], FrozenMapping)
    assert sample.meta["k"]["n"] == (4,)
    assert sample.extra_field == (5,)  # type: ignore[attr-defined]


def test_frozen_mapping_cannot_be_changed() -> None:
    mapping = Sample(meta={"a": 1}).meta
    with pytest.raises(TypeError):
        mapping["a"] = 2  # type: ignore[index]


@pytest.mark.parametrize("value", [{1, 2}, frozenset({1}), b"bytes", object(), float("nan")])
def test_unsupported_values_are_rejected_with_a_clear_error(value: object) -> None:
    with pytest.raises((UnfreezableValueError, ValidationError), match="cannot be frozen"):
        Sample(items=[value])


def test_set_error_names_where_it_was_found() -> None:
    with pytest.raises(ValidationError, match=r"Sample\.tags: a set cannot be frozen"):
        Sample(tags={"a"})


def test_reserved_and_non_string_keys_are_rejected() -> None:
    with pytest.raises((UnfreezableValueError, ValidationError)):
        Sample(meta={"$type": 1})
    with pytest.raises((UnfreezableValueError, ValidationError)):
        Sample(extra={1: "x"})


def test_hash_is_full_sha256_hex() -> None:
    key = Sample(name="x").hash_key
    assert len(key) == 64
    assert set(key) <= set("0123456789abcdef")


def test_hash_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    sample = Sample(name="once")
    first = sample.hash_key
    calls = []
    import ramify.core.frozen as frozen_module

    real = frozen_module.canonical_json
    monkeypatch.setattr(frozen_module, "canonical_json", lambda v: calls.append(v) or real(v))
    assert sample.hash_key == first
    assert calls == []


def test_private_attributes_do_not_change_the_hash() -> None:
    a = WithPrivate(value=1)
    b = WithPrivate(value=1)
    b._cache = "something"
    assert a.hash_key == b.hash_key
    assert b"_cache" not in canonical_json(b)


def test_nested_frozen_is_hashed_by_reference() -> None:
    inner = Sample(name="inner")
    outer = Sample(items=[inner])
    assert inner.hash_key.encode() in canonical_json(outer)


def test_type_tag_separates_equal_fields() -> None:
    class Other(Frozen):
        name: str = ""

    assert Other(name="x").hash_key != Sample(name="x").hash_key


def test_round_trip_through_data_keeps_hash() -> None:
    sample = Sample(name="n", items=[Sample(name="i"), {"a": [1.5, None, True]}], extra="e")
    again = Frozen.from_data(sample.to_data())
    assert type(again) is Sample
    assert again.hash_key == sample.hash_key


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text().filter(lambda k: not k.startswith("$")), children, max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=100, deadline=None)
@given(fields=st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), _JSON, max_size=6))
def test_property_hash_deterministic_and_key_order_independent(fields: dict[str, Any]) -> None:
    forward = Sample(**fields)
    backward = Sample(**dict(reversed(list(fields.items()))))
    assert forward.hash_key == Sample(**fields).hash_key
    assert forward.hash_key == backward.hash_key


@settings(max_examples=50, deadline=None)
@given(meta=st.dictionaries(st.text().filter(lambda k: not k.startswith("$")), _JSON, max_size=6))
def test_property_nested_mapping_order_does_not_matter(meta: dict[str, Any]) -> None:
    reordered = dict(sorted(meta.items(), reverse=True))
    assert Sample(meta=meta).hash_key == Sample(meta=reordered).hash_key


_SUBPROCESS = """
from ramify.core import Frozen, Node, UserMessage
message = UserMessage(text="héllo ✓", extra={"b": [1, 2.5], "a": None})
print(Frozen(name="x", items=[1, {"k": "v"}]).hash_key)
print(message.hash_key)
print(Node(message=message.hash_key, sender="bot").hash_key)
"""


@pytest.mark.slow
def test_hash_is_stable_across_processes() -> None:
    from ramify.core import Node, UserMessage

    message = UserMessage(text="héllo ✓", extra={"a": None, "b": [1, 2.5]})
    mine = [
        Frozen(name="x", items=[1, {"k": "v"}]).hash_key,
        message.hash_key,
        Node(message=message.hash_key, sender="bot").hash_key,
    ]
    # A different hash seed in the child shows nothing depends on Python's string hashing.
    output = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout.split()
    assert output == mine
