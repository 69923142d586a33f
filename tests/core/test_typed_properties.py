"""Properties: any typed value, however nested, reads back equal and with the same hash."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ramify.core import Frozen, Message, canonical_json
from ramify.core.frozen import frozen_from_data


class Mood(enum.Enum):
    CALM = "calm"
    ODD = 3


class EveryKind(Message):
    at: dt.datetime | None = None
    day: dt.date | None = None
    clock: dt.time | None = None
    span: dt.timedelta | None = None
    id: uuid.UUID | None = None
    amount: Decimal | None = None
    mood: Mood | None = None
    path: Path | None = None
    blob: bytes | None = None
    tags: frozenset[Any] | None = None
    days: tuple[dt.date, ...] = ()
    amounts: dict[str, Decimal] = {}


_LIMIT = dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999)
zones = st.none() | st.builds(dt.timezone, st.timedeltas(min_value=-_LIMIT, max_value=_LIMIT))
paths = st.builds(Path, st.text(alphabet="ab._- é/", max_size=12))

typed_leaves = st.one_of(
    st.datetimes(timezones=zones),
    st.dates(),
    st.times(timezones=zones),
    st.timedeltas(),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False),
    paths,
    st.binary(max_size=16),
)
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8).filter(lambda text: not any("\ud800" <= c <= "\udfff" for c in text)),
)
hashable = st.recursive(
    typed_leaves | json_leaves,
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)
values = st.recursive(
    typed_leaves | json_leaves | st.frozensets(hashable, max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"[a-z]{1,4}", fullmatch=True), inner, max_size=3)
    ),
    max_leaves=12,
)
field_names = st.from_regex(r"[a-z]{1,6}", fullmatch=True).filter(
    lambda name: name not in {"text", "role"}
)


def _stored_and_read(message: Message) -> Message:
    return Message.from_data(json.loads(json.dumps(message.to_data())))


@settings(max_examples=150, deadline=None)
@given(fields=st.dictionaries(field_names, values, max_size=4))
def test_any_typed_value_reads_back_equal_with_the_same_hash(fields: dict[str, Any]) -> None:
    message = Message(text="t", **fields)
    again = _stored_and_read(message)
    assert again.hashed_fields() == message.hashed_fields()
    assert canonical_json(again) == canonical_json(message)
    assert again.hash_key == message.hash_key
    # Without nested models the canonical JSON is itself a stored form: it reads back too.
    from_canonical = frozen_from_data(json.loads(canonical_json(message)), default=Message)
    assert from_canonical.hash_key == message.hash_key


def _kind_of(value: Any) -> Any:
    """The types a value is made of, to check a read-back copy holds the same Python types."""
    if isinstance(value, tuple):
        return tuple(_kind_of(item) for item in value)
    if isinstance(value, frozenset):
        return (frozenset, frozenset(_kind_of(item) for item in value))
    if hasattr(value, "items"):
        return {key: _kind_of(item) for key, item in value.items()}
    return type(value)


@settings(max_examples=150, deadline=None)
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "at": st.datetimes(timezones=zones),
            "day": st.dates(),
            "clock": st.times(timezones=zones),
            "span": st.timedeltas(),
            "id": st.uuids(),
            "amount": st.decimals(allow_nan=False, allow_infinity=False),
            "mood": st.sampled_from(Mood),
            "path": paths,
            "blob": st.binary(max_size=16),
            "tags": st.frozensets(hashable, max_size=4),
            "days": st.lists(st.dates(), max_size=3),
            "amounts": st.dictionaries(
                st.sampled_from("xyz"), st.decimals(allow_nan=False, allow_infinity=False)
            ),
        },
    )
)
def test_a_declared_typed_message_reads_back_as_its_class(fields: dict[str, Any]) -> None:
    message = EveryKind(**fields)
    again = _stored_and_read(message)
    assert type(again) is EveryKind
    assert again.hash_key == message.hash_key
    assert again.hashed_fields() == message.hashed_fields()
    assert _kind_of(again.hashed_fields()) == _kind_of(message.hashed_fields())


class Box(Frozen):
    """A nested model holding any typed value (hashed into its parent by reference)."""

    content: Any = None


@settings(max_examples=100, deadline=None)
@given(
    contents=st.lists(values, min_size=1, max_size=3),
    mood=st.none() | st.sampled_from(Mood),
)
def test_nested_models_of_typed_values_read_back_with_the_same_hashes(
    contents: list[Any], mood: Mood | None
) -> None:
    boxes = [Box(content=content) for content in contents]
    message = EveryKind(text="boxes", mood=mood, boxes=boxes, nested=Box(content=Box(content=mood)))
    again = _stored_and_read(message)
    assert type(again) is EveryKind
    assert again.hash_key == message.hash_key
    assert [box.hash_key for box in again.boxes] == [box.hash_key for box in boxes]  # type: ignore[attr-defined]
    assert all(type(box) is Box for box in again.boxes)  # type: ignore[attr-defined]


def _reference_offset(offset: dt.timedelta | None) -> str:
    if offset is None:
        return ""
    sign = "-" if offset < dt.timedelta(0) else "+"
    micros = abs(offset) // dt.timedelta(microseconds=1)
    seconds, micro = divmod(micros, 1_000_000)
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    if seconds % 60 or micro:
        text += f":{seconds % 60:02d}"
    return text + (f".{micro:06d}" if micro else "")


def _reference(value: Any) -> Any:
    """The documented canonical form, written from the table rather than from the code."""
    if isinstance(value, enum.Enum):
        return _reference(value.value)
    if isinstance(value, dt.datetime):
        return {
            "$datetime": f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
            + _reference_offset(value.utcoffset())
        }
    if isinstance(value, dt.date):
        return {"$date": f"{value.year:04d}-{value.month:02d}-{value.day:02d}"}
    if isinstance(value, dt.time):
        return {
            "$time": f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
            f".{value.microsecond:06d}" + _reference_offset(value.utcoffset())
        }
    if isinstance(value, dt.timedelta):
        return {"$timedelta": value // dt.timedelta(microseconds=1)}
    if isinstance(value, uuid.UUID):
        digits = f"{value.int:032x}"
        return {
            "$uuid": "-".join((digits[:8], digits[8:12], digits[12:16], digits[16:20], digits[20:]))
        }
    if isinstance(value, Decimal):
        return {"$decimal": decimal.Context().to_sci_string(value)}
    if isinstance(value, Path):
        anchor, parts = value.anchor, value.parts[1:] if value.anchor else value.parts
        return {"$path": anchor + "/".join(parts) if value.parts else "."}
    if isinstance(value, bytes):
        return {"$bytes": base64.standard_b64encode(value).decode("ascii")}
    if isinstance(value, frozenset):
        forms = {_reference_text(_reference(item)): _reference(item) for item in value}
        return {"$frozenset": [forms[text] for text in sorted(forms)]}
    if isinstance(value, (list, tuple)):
        return [_reference(item) for item in value]
    if isinstance(value, dict):
        return {key: _reference(item) for key, item in value.items()}
    return value


def _reference_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(value=values, mood=st.sampled_from(Mood))
def test_canonical_json_matches_the_documented_encoding(value: Any, mood: Mood) -> None:
    message = Message(text="t", value=value, mood=mood)
    expected = {"$type": "Message", "role": None, "text": "t"}
    expected |= {"value": _reference(value), "mood": _reference(mood)}
    assert canonical_json(message) == _reference_text(expected).encode("utf-8")
