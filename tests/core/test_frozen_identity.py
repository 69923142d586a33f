"""Identity cannot be forged: what `Frozen` refuses at construction, and hash/equality laws."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ramify.core import (
    ErrorMessage,
    Frozen,
    FrozenMapping,
    Message,
    Session,
    SQLiteStore,
    UnfreezableValueError,
    UserMessage,
    canonical_json,
)
from ramify.core.frozen import MAX_INT_DIGITS, freeze

_REFUSED = (UnfreezableValueError, ValidationError)


class Holder(Frozen):
    meta: dict[str, Any] = {}
    ratio: float = 0.0


@pytest.mark.parametrize("key", ["$type", "$hash", "$anything", "$"])
def test_a_reserved_extra_field_is_refused_at_construction(key: str) -> None:
    with pytest.raises(_REFUSED, match="reserved"):
        Message(text="hi", **{key: "X"})
    with pytest.raises(_REFUSED, match="reserved"):
        Frozen(**{key: 1})


@pytest.mark.parametrize(
    "meta",
    [
        {"$type": "X"},
        {"a": {"$hash": "0" * 64}},
        {"a": [{"b": {"$type": "Message"}}]},
        {"a": FrozenMapping(b=1), "c": ({"$x": 1},)},
    ],
)
def test_a_reserved_key_is_refused_at_any_depth(meta: dict[str, Any]) -> None:
    with pytest.raises(_REFUSED, match="reserved"):
        Holder(meta=meta)
    with pytest.raises(_REFUSED, match="reserved"):
        Message(text="hi", extra=meta)


def test_a_nested_model_with_a_reserved_field_is_refused() -> None:
    with pytest.raises(_REFUSED, match="reserved"):
        Frozen(inner=[Frozen(ok=1, **{"$type": "Message"})])


def test_stored_data_carrying_a_reserved_field_is_refused_not_silently_dropped() -> None:
    forged = {"$type": "Message", "text": "hi", "role": None, "$hash": "0" * 64}
    with pytest.raises(_REFUSED, match="reserved"):
        Message.from_data(forged)


@pytest.mark.parametrize("sign", [1, -1])
def test_an_int_too_long_to_write_is_refused_at_construction(sign: int) -> None:
    too_long = sign * 10**MAX_INT_DIGITS
    with pytest.raises(_REFUSED, match=f"more than {MAX_INT_DIGITS} digits"):
        Message(text="hi", n=too_long)
    with pytest.raises(_REFUSED, match=f"more than {MAX_INT_DIGITS} digits"):
        Holder(meta={"deep": [too_long]})


async def test_the_longest_int_allowed_is_stored_and_read_back_exactly(tmp_path: Path) -> None:
    longest = -(10**MAX_INT_DIGITS - 1)
    message = Message(text="big", n=longest)
    async with SQLiteStore(tmp_path / "s.sqlite3") as store:
        session = await Session.create(store)
        node = await session.append(message, branch="main")
        again = await store.get_message(node.message)
    assert again.n == longest  # type: ignore[attr-defined]
    assert again.hash_key == message.hash_key


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused_in_declared_and_extra_fields(value: float) -> None:
    with pytest.raises(_REFUSED, match="not a finite float"):
        Holder(ratio=value)
    with pytest.raises(_REFUSED, match="not a finite float"):
        Message(text="hi", score=value)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Message(text="ok \ud800 then"),
        lambda: Message(text="hi", note="\udcff"),
        lambda: Holder(meta={"k": ["fine", "bad \udfff"]}),
        lambda: Holder(meta={"key \ud83d": 1}),
    ],
    ids=["text", "extra field", "nested value", "mapping key"],
)
def test_a_lone_surrogate_is_refused_with_an_error_that_can_itself_be_printed(build: Any) -> None:
    with pytest.raises(_REFUSED, match="lone surrogate") as caught:
        build()
    str(caught.value).encode("utf-8")


def test_a_surrogate_pair_written_as_one_character_is_valid_text() -> None:
    message = Message(text="smile \U0001f600")
    assert canonical_json(message).decode("utf-8").endswith('"text":"smile \U0001f600"}')


def test_an_error_whose_text_has_a_lone_surrogate_is_still_recorded() -> None:
    error = ValueError("bad byte \udcff here")
    message = ErrorMessage.from_exception(error, partial_text="so far \ud800", with_traceback=True)
    assert message.error_text == "bad byte \ufffd here"
    assert message.partial_text == "so far \ufffd"
    canonical_json(message).decode("utf-8")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ({"n": 1}, {"n": 1.0}),
        ({"n": 1}, {"n": True}),
        ({"n": 0}, {"n": False}),
        ({"n": 0.0}, {"n": -0.0}),
        ({"a": {"n": 1}}, {"a": {"n": 1.0}}),
        ({"a": [1, 2]}, {"a": [1.0, 2]}),
    ],
)
def test_mappings_that_hash_apart_are_not_equal(
    left: dict[str, Any], right: dict[str, Any]
) -> None:
    assert hash(FrozenMapping(left)) != hash(FrozenMapping(right))
    assert FrozenMapping(left) != FrozenMapping(right)
    assert FrozenMapping(left) != right


def test_mappings_in_another_key_order_are_equal_and_hash_alike() -> None:
    one = FrozenMapping({"a": 1, "b": {"x": [1, 2], "y": None}})
    two = FrozenMapping({"b": {"y": None, "x": (1, 2)}, "a": 1})
    assert one == two
    assert hash(one) == hash(two)
    assert one == {"b": {"y": None, "x": [1, 2]}, "a": 1}


def test_a_mapping_never_equals_what_cannot_be_frozen() -> None:
    assert FrozenMapping(a=1) != {1: 1}
    assert FrozenMapping(a=1) != {"a": {1, 2}}


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=6)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_KEYS = st.text(max_size=4).filter(lambda key: not key.startswith("$"))
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=3),
    max_leaves=10,
)
_MAPPINGS = st.dictionaries(_KEYS, _VALUES, max_size=4)


def _reference_json(value: dict[str, Any]) -> bytes:
    """Canonical JSON computed by the standard library alone, as a reference."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(left=_MAPPINGS, right=_MAPPINGS)
def test_property_mapping_equality_agrees_with_hash(
    left: dict[str, Any], right: dict[str, Any]
) -> None:
    one, two = FrozenMapping(left), FrozenMapping(right)
    same_json = _reference_json(left) == _reference_json(right)
    assert (one == two) is same_json
    if one == two:
        assert hash(one) == hash(two)


@settings(max_examples=200, deadline=None)
@given(left=_MAPPINGS, right=_MAPPINGS)
def test_property_messages_hash_equal_exactly_when_their_canonical_json_is_equal(
    left: dict[str, Any], right: dict[str, Any]
) -> None:
    one, two = Message(text="t", meta=left), Message(text="t", meta=right)
    assert (one.hash_key == two.hash_key) is (_reference_json(left) == _reference_json(right))
    assert (one == two) is (one.hash_key == two.hash_key)


@settings(max_examples=200, deadline=None)
@given(meta=_MAPPINGS, text=st.text(max_size=20))
def test_property_data_round_trip_keeps_the_hash(meta: dict[str, Any], text: str) -> None:
    message = Message(text=text, meta=meta, inner=Frozen(meta=meta))
    # Through real JSON text, as a store and a session file write it.
    again = Message.from_data(json.loads(json.dumps(message.to_data())))
    assert again.hash_key == message.hash_key
    assert again == message


@settings(max_examples=100, deadline=None)
@given(value=_VALUES)
def test_property_every_frozen_value_has_utf8_canonical_json(value: Any) -> None:
    canonical_json(FrozenMapping(v=freeze(value))).decode("utf-8")


async def test_the_longest_int_allowed_goes_through_a_session_file() -> None:
    from ramify.core import MemoryStore

    message = Message(text="big", n=10**MAX_INT_DIGITS - 1, m=[-(10**MAX_INT_DIGITS - 1)])
    async with MemoryStore() as store, MemoryStore() as target:
        session = await Session.create(store)
        await session.append(message, branch="main")
        imported = await Session.import_markdown(target, await session.export_markdown())
        [(_, again)] = await imported.path_messages("main")
    assert again.hash_key == message.hash_key


@pytest.mark.parametrize(
    "update",
    [{"$type": "X"}, {"n": 10**MAX_INT_DIGITS}, {"text": "\ud800"}, {"meta": {"$hash": "0"}}],
    ids=["reserved field", "long int", "lone surrogate", "reserved key"],
)
def test_a_copy_with_changes_is_checked_like_a_new_value(update: dict[str, Any]) -> None:
    with pytest.raises(UnfreezableValueError):
        Message(text="hi").model_copy(update=update)


def test_a_copy_with_changes_freezes_the_new_values() -> None:
    copy = Message(text="hi").model_copy(update={"items": [1, {"a": [2]}]})
    assert copy.items == (1, FrozenMapping(a=(2,)))  # type: ignore[attr-defined]
    assert copy.hash_key == Message(text="hi", items=[1, {"a": [2]}]).hash_key


def test_a_document_larger_than_a_digest_slice_hashes_its_canonical_json() -> None:
    """`hash_key` digests a long document a slice at a time; multi-byte characters across the
    slice boundaries must hash as the whole document's bytes do."""
    text = ("é界🙂 plain ascii " * 200_000)[:2_500_001]
    message = UserMessage(text=text)
    assert len(canonical_json(message)) > 3 * (1 << 20)
    assert message.hash_key == hashlib.sha256(canonical_json(message)).hexdigest()
