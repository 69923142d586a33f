"""Typed message fields: what each kind freezes to, reads back as, and refuses."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest
from pydantic import ValidationError

from ramify.core import AssistantMessage, Frozen, Message, UnfreezableValueError, UserMessage
from ramify.core.frozen import frozen_from_data


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Shade(enum.Enum):
    DARK = "dark"
    LIGHT = "light"


class Deadline(Frozen):
    due: dt.date
    within: dt.timedelta = dt.timedelta(0)


class Order(Message):
    placed: dt.datetime
    day: dt.date
    opens: dt.time
    window: dt.timedelta
    id: uuid.UUID
    total: Decimal
    shade: Shade
    priority: Priority
    receipt: Path
    signature: bytes
    labels: frozenset[str]
    history: tuple[dt.date, ...] = ()
    cancelled_at: dt.datetime | None = None
    prices: dict[str, Decimal] = {}
    deadline: Deadline | None = None


def _order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "placed": dt.datetime(2024, 3, 4, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        "day": dt.date(2024, 3, 4),
        "opens": dt.time(9, 30),
        "window": dt.timedelta(hours=36, microseconds=1),
        "id": uuid.UUID(int=2**100 + 7),
        "total": Decimal("19.90"),
        "shade": Shade.DARK,
        "priority": Priority.HIGH,
        "receipt": Path("receipts/2024/03.pdf"),
        "signature": b"\x00\x01\xfe\xff",
        "labels": frozenset({"gift", "express"}),
        "history": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
        "prices": {"book": Decimal("9.95"), "pen": Decimal("9.95")},
        "deadline": Deadline(due=dt.date(2024, 4, 1), within=dt.timedelta(days=2)),
    }
    fields.update(changes)
    return Order(**fields)


def _types(message: Frozen) -> dict[str, type]:
    return {name: type(value) for name, value in message.hashed_fields().items()}


def test_a_typed_message_reads_back_from_json_as_its_class_with_typed_fields() -> None:
    order = _order()
    again = Message.from_data(json.loads(json.dumps(order.to_data())))
    assert type(again) is Order
    assert again.hash_key == order.hash_key
    assert again.hashed_fields() == order.hashed_fields()
    assert _types(again) == _types(order)
    assert again.shade is Shade.DARK
    assert again.priority is Priority.HIGH
    assert type(again.deadline) is Deadline
    assert type(again.deadline.within) is dt.timedelta


def test_undeclared_fields_read_back_typed_too() -> None:
    # No annotation says what an extra field holds: the stored marker does.
    message = Message(text="x", when=dt.date(2020, 2, 29), raw=b"\x00", ids=[uuid.UUID(int=1)])
    again = Message.from_data(json.loads(json.dumps(message.to_data())))
    assert again.hashed_fields() == message.hashed_fields()
    assert again.hash_key == message.hash_key
    assert type(again.ids[0]) is uuid.UUID  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Decimal("1.0"), Decimal("1")),
        (Decimal("0"), Decimal("-0")),
        (
            dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC),
            dt.datetime(2024, 1, 1, 13, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        ),
        (dt.datetime(2024, 1, 1, 12), dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)),
        (dt.date(2024, 1, 1), dt.datetime(2024, 1, 1)),
        (dt.date(2024, 1, 1), "2024-01-01"),
        (b"abc", "abc"),
        (Path("a"), "a"),
        (frozenset({"a"}), ("a",)),
        (dt.timedelta(seconds=1), 1_000_000),
        (uuid.UUID(int=1), str(uuid.UUID(int=1))),
        (Decimal("1.5"), 1.5),
    ],
)
def test_values_that_read_back_differently_hash_apart(first: object, second: object) -> None:
    assert Message(value=first).hash_key != Message(value=second).hash_key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (frozenset({3, 1, 2}), frozenset([2, 3, 1])),
        (uuid.UUID("ABCDEF00-0000-0000-0000-000000000000"), uuid.UUID(int=0xABCDEF << 104)),
        (dt.timedelta(days=1), dt.timedelta(hours=24)),
        (Path("a/./b"), Path("a/b")),
        (PureWindowsPath("a\\b"), Path("a/b")),
        (bytearray(b"xy"), b"xy"),
        (Shade.DARK, "dark"),
    ],
)
def test_equal_values_hash_equal(first: object, second: object) -> None:
    assert Message(value=first).hash_key == Message(value=second).hash_key


class _FixedZone(dt.tzinfo):
    """A named zone with a fixed offset, standing in for a ZoneInfo (no tz database needed)."""

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=1)

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, when: dt.datetime | None) -> str:
        return "Somewhere/Central"


class _Stamp(dt.datetime):
    pass


def test_freezing_normalises_to_what_reads_back() -> None:
    message = Message(
        at=_Stamp(2024, 1, 1, 8, tzinfo=_FixedZone(), fold=1),
        clock=dt.time(8, tzinfo=_FixedZone()),
        path=PurePosixPath("x/y"),
        blob=bytearray(b"z"),
        memo=memoryview(b"m"),
        amount=type("Money", (Decimal,), {})("2.50"),
    )
    fields = message.hashed_fields()
    assert type(fields["at"]) is dt.datetime
    assert fields["at"].fold == 0
    assert fields["at"].tzinfo == dt.timezone(dt.timedelta(hours=1))
    assert fields["clock"].tzinfo == dt.timezone(dt.timedelta(hours=1))
    assert type(fields["path"]) is type(Path())
    assert type(fields["blob"]) is bytes
    assert fields["memo"] == b"m"
    assert type(fields["amount"]) is Decimal
    again = Message.from_data(json.loads(json.dumps(message.to_data())))
    assert again.hashed_fields() == fields
    assert again.hash_key == message.hash_key


def test_a_zone_that_gives_no_offset_leaves_a_time_naive() -> None:
    class NoOffset(dt.tzinfo):
        def utcoffset(self, when: dt.datetime | None) -> None:
            return None

    assert (
        Message(clock=dt.time(8, tzinfo=NoOffset())).hash_key == Message(clock=dt.time(8)).hash_key
    )


def test_frozenset_elements_are_frozen_and_sorted_by_canonical_text() -> None:
    message = Message(items=frozenset({(1, "a"), dt.date(2000, 1, 1), "z", 10}))
    # '"z"' < '10' < '[1,"a"]' < '{"$date":...}' as canonical JSON text.
    assert message.to_data()["items"] == {
        "$frozenset": ["z", 10, [1, "a"], {"$date": "2000-01-01"}]
    }


def test_str_of_a_message_without_text_is_its_data() -> None:
    order = _order(text="")
    rendered = str(order)
    assert rendered.startswith("Order {")
    data = json.loads(rendered.removeprefix("Order "))
    assert data["total"] == "19.90"
    assert data["placed"] == "2024-03-04T05:06:07.000008-03:00"
    assert data["shade"] == "dark"
    assert data["labels"] == ["express", "gift"]
    assert data["deadline"] == {"due": "2024-04-01", "within": "2 days, 0:00:00"}
    assert "text" not in data
    assert "role" not in data
    assert "cancelled_at" not in data


def test_str_of_a_message_with_text_is_still_its_text() -> None:
    assert str(_order(text="Order placed")) == "Order placed"
    assert str(UserMessage()) == ""  # no text and no data: nothing to show
    # How a reply was made (model, token counts, a cancel) is not data to show for it.
    assert str(AssistantMessage(model="demo", output_tokens=0, cancelled=True)) == ""
    assert str(AssistantMessage(model="demo", score=Decimal("0.5"))) == (
        'AssistantMessage {"score": "0.5"}'
    )


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"a"}, r"Bad\.value: a set cannot be frozen; use a frozenset"),
        (1j, r"Bad\.value: a complex cannot be frozen"),
        ([object()], r"Bad\.value\[0\]: a object cannot be frozen"),
        (frozenset({object()}), r"Bad\.value element: a object cannot be frozen"),
        (Decimal("NaN"), r"Bad\.value: Decimal\('NaN'\) has no canonical form"),
        (Decimal("-Infinity"), r"Bad\.value: Decimal\(.-Infinity.\) has no canonical form"),
        (Path("bad\udcff"), r"Bad\.value: a lone surrogate"),
        ({"k": dt.UTC}, r"Bad\.value\.k: a timezone cannot be frozen"),
    ],
)
def test_a_value_that_cannot_be_frozen_names_its_field_and_type(value: object, named: str) -> None:
    class Bad(Message):
        value: Any = None

    with pytest.raises((UnfreezableValueError, ValidationError), match=named):
        Bad(value=value)


def test_an_enum_whose_value_cannot_be_frozen_is_refused_by_name() -> None:
    class Odd(enum.Enum):
        THING = object()

    with pytest.raises(ValidationError, match=r"Message\.odd \(Odd\.THING value\): a object"):
        Message(odd=Odd.THING)


@pytest.mark.parametrize(
    "stored",
    [
        {"$decimal": "1.0E+1"},
        {"$decimal": "NaN"},
        {"$decimal": 1},
        {"$datetime": "2024-01-01T00:00:00"},
        {"$datetime": "2024-01-01T00:00:00.000000Z"},
        {"$date": "20240101"},
        {"$time": "25:00:00.000000"},
        {"$timedelta": 1.5},
        {"$timedelta": 10**30},
        {"$uuid": "ABCDEF00-0000-0000-0000-000000000000"},
        {"$path": "a//b"},
        {"$bytes": "aGk"},
        {"$bytes": "!!!!"},
        {"$frozenset": "ab"},
        {"$unknown": 1},
    ],
)
def test_stored_typed_values_must_be_canonical(stored: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"\$[a-z]+"):
        frozen_from_data({"$type": "Message", "text": "", "role": None, "value": stored})


def test_a_user_mapping_cannot_forge_a_typed_marker() -> None:
    with pytest.raises((UnfreezableValueError, ValidationError), match="reserved"):
        Message(value={"$date": "2024-01-01"})
