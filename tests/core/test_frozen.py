"""Frozen: immutability, freezing of containers, canonical hashing."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, Field, PrivateAttr, ValidationError

import ramify.core.frozen as frozen_module
from ramify.core import Frozen, FrozenMapping, Node, UnfreezableValueError, canonical_json


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


@pytest.mark.parametrize(
    "value", [{1, 2}, object(), float("nan"), 1j, frozenset({object()}), Decimal("NaN")]
)
def test_unsupported_values_are_rejected_with_a_clear_error(value: object) -> None:
    with pytest.raises(
        (UnfreezableValueError, ValidationError), match=r"cannot be frozen|no canonical form"
    ):
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


@pytest.mark.parametrize("name", ["_hash_key", "_foreign_tag"])
def test_identity_attributes_cannot_be_set_or_deleted(name: str) -> None:
    sample = Sample(name="fixed")
    key = sample.hash_key
    with pytest.raises(AttributeError, match="read-only"):
        setattr(sample, name, "0" * 64)
    with pytest.raises(AttributeError, match="read-only"):
        delattr(sample, name)
    assert sample.hash_key == key == Sample(name="fixed").hash_key


def test_copy_with_changes_hashes_its_own_content() -> None:
    original = Sample(name="before")
    assert original.hash_key
    changed = original.model_copy(update={"name": "after"})
    assert changed.hash_key == Sample(name="after").hash_key
    assert original.model_copy().hash_key == original.hash_key


def test_pickled_instance_keeps_its_hash() -> None:
    import pickle

    sample = Sample(name="p", items=[Sample(name="inner")], meta={"k": 1})
    again = pickle.loads(pickle.dumps(sample))
    assert again.hash_key == sample.hash_key
    assert again == sample


def test_foreign_tag_survives_loading_and_copying() -> None:
    data = {"$type": "SomeClassNobodyImported", "text": "from elsewhere"}
    loaded = Frozen.from_data(data)
    assert type(loaded) is Frozen
    assert loaded.to_data() == data
    assert loaded.model_copy().hash_key == loaded.hash_key != Frozen(text="from elsewhere").hash_key


class WithFactory(Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: int = 0
    note: str | None = Field(default=None, exclude=True)
    _seen: list[int] = PrivateAttr(default_factory=list)


def _state(instance: Frozen) -> tuple[Any, ...]:
    return (
        type(instance),
        instance.__dict__,
        instance.__pydantic_extra__,
        instance.__pydantic_private__,
        instance.hash_key,
    )


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "model_construct"])
@pytest.mark.parametrize(
    "original",
    [
        Node(message="a" * 64, parent="b" * 64, sender="bot", run_id="r", created_at=1.5),
        Node(message="a" * 64),
        Sample(name="s", items=[1, 2], meta={"k": "v"}),
        WithFactory(value=3, note="n"),
    ],
    ids=["node", "root node", "extra allowed", "private factory"],
)
def test_from_stored_fields_builds_what_validation_builds(
    original: Frozen, direct: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frozen_module, "_BUILD_DIRECTLY", direct and frozen_module._BUILD_DIRECTLY)
    rebuilt = type(original).from_stored_fields(dict(original.__dict__), original.hash_key)
    assert _state(rebuilt) == _state(original)
    assert rebuilt.to_data() == original.to_data()


def test_from_stored_fields_takes_the_stored_hash_without_hashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node = Node(message="c" * 64)
    calls: list[object] = []
    monkeypatch.setattr(frozen_module, "canonical_json", lambda value: calls.append(value))
    rebuilt = Node.from_stored_fields(dict(node.__dict__), "d" * 64)
    assert rebuilt.hash_key == "d" * 64
    assert calls == []


def test_instances_built_from_stored_fields_get_their_own_private_state() -> None:
    first = WithFactory.from_stored_fields({"value": 1, "note": None}, "e" * 64)
    second = WithFactory.from_stored_fields({"value": 1, "note": None}, "e" * 64)
    first._seen.append(1)
    assert second._seen == []


def test_pydantic_instance_layout_is_the_one_from_stored_fields_fills() -> None:
    # If this fails after a pydantic upgrade, `from_stored_fields` has fallen back to the
    # slower `model_construct`: check the new layout and update `_PYDANTIC_STATE`.
    assert frozen_module._BUILD_DIRECTLY
