"""Golden vectors: exact hashes that must never drift between versions, processes or machines.

If one of these fails, the hash recipe changed and every stored hash with it. Do not update
the constants; fix the change (or version the recipe and migrate stored data on purpose).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import uuid
from decimal import Decimal
from pathlib import Path, PureWindowsPath

import pytest

from ramify.core import (
    AssistantMessage,
    ErrorMessage,
    Frozen,
    Message,
    Node,
    UserMessage,
    canonical_json,
)

_ROOT = Node(message=UserMessage(text="Hello").hash_key)
_REPLY = AssistantMessage(text="Hi there", model="demo", output_tokens=3)
_CHILD = Node(message=_REPLY.hash_key, parent=_ROOT.hash_key, sender="bot")

GOLDEN: list[tuple[str, Frozen, str]] = [
    ("empty Frozen", Frozen(), "ca8cdfcb3a6f67e6bb4d85aa46e4a3d910f04ca345a7610dbd2ab1afe2e6c4c0"),
    (
        "nested Frozen",
        Frozen(name="x", items=[1, 2.5, None, True, {"k": "v"}], inner=Frozen(a=1)),
        "c408a28bc91f8aa5fda49399c290afc8d9f6323e70de818e2196948f457f5a11",
    ),
    (
        "UserMessage",
        UserMessage(text="Hello"),
        "b4a64235905a4e4e731bca93359ed26a45dbdddf14af25b8d8aef571020d40b2",
    ),
    (
        "AssistantMessage",
        _REPLY,
        "f93f95d5c77e9727da8c62942a3fd3651fb5f491902f52ab86fe17972d50e8b6",
    ),
    (
        "unicode Message",
        Message(text="héllo ✓ 日本"),
        "fb5c7393f49200d96de6f0b34dc48e043adebae3f50282eb3d20bc51f847bcd5",
    ),
    (
        # A character beyond the BMP is one code point, written as its 4 UTF-8 bytes (never as
        # a surrogate pair); a lone surrogate has no UTF-8 form and is refused (see below).
        "astral Message",
        Message(text="astral \U0001f600 and \u00e9"),
        "6d7130aab5183edda54be2dd85435f058deb2ee833cb615fa4bc2c964d4eff5c",
    ),
    (
        "ErrorMessage",
        ErrorMessage(text="ValueError: bad", error_type="ValueError", error_text="bad"),
        "fb7b38e8e5b49d3b159353ba0a096f7c0b4de84267aac691182f75a0daf1133c",
    ),
    ("root Node", _ROOT, "65434605a4069a85cc7b2cc73527e479ed4d24c5ad5ca7ea3dec1adc1242da3a"),
    ("child Node", _CHILD, "5d355b86d4afced196fc7748dedd6cc93500dfe2e1ab8285962982119909b189"),
    (
        "forwarded Node",
        Node(
            message=_ROOT.message,
            parent=_CHILD.hash_key,
            sender="USER",
            forwarded_from=_ROOT.hash_key,
        ),
        "1aba53decb628018fb6ae5737913afc3d459cece082376b2c29b562ec70ff17c",
    ),
]


@pytest.mark.parametrize(("label", "value", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_hash_never_drifts(label: str, value: Frozen, expected: str) -> None:
    assert value.hash_key == expected, label
    assert hashlib.sha256(canonical_json(value)).hexdigest() == expected


def test_root_node_canonical_json_is_exactly_this() -> None:
    assert canonical_json(_ROOT) == (
        b'{"$type":"Node","forwarded_from":null,"message":'
        b'"b4a64235905a4e4e731bca93359ed26a45dbdddf14af25b8d8aef571020d40b2",'
        b'"parent":null,"sender":"USER"}'
    )


def test_node_provenance_does_not_enter_the_golden_hash() -> None:
    again = Node(message=_ROOT.message, run_id="any run", created_at=123.0)
    assert again.hash_key == dict((label, key) for label, _, key in GOLDEN)["root Node"]


def test_astral_text_is_written_as_utf8_bytes() -> None:
    assert canonical_json(Message(text="\U0001f600")) == (
        b'{"$type":"Message","role":null,"text":"\xf0\x9f\x98\x80"}'
    )


def test_a_lone_surrogate_has_no_canonical_json_and_is_refused() -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        Message(text="\ud83d")


# --- typed values: one canonical encoding each (the table is in `ramify.core.typed_values`) ---


class GoldenColor(enum.Enum):
    RED = "red"
    BLUE = 2


class GoldenStamp(Frozen):
    at: dt.datetime


class GoldenTyped(Message):
    """One optional field of each typed kind, so each vector differs from the next in one."""

    at: dt.datetime | None = None
    day: dt.date | None = None
    clock: dt.time | None = None
    span: dt.timedelta | None = None
    id: uuid.UUID | None = None
    amount: Decimal | None = None
    color: GoldenColor | None = None
    path: Path | None = None
    blob: bytes | None = None
    tags: frozenset[str] | None = None


_PLUS_2 = dt.timezone(dt.timedelta(hours=2))
_MINUS_5_30 = dt.timezone(-dt.timedelta(hours=5, minutes=30))

TYPED_GOLDEN: list[tuple[str, Message, str]] = [
    (
        "aware datetime",
        GoldenTyped(at=dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=_PLUS_2)),
        "95fb03ee2527fa2a02bce5501e090602b7a335216733221bc64b91e24b72ec55",
    ),
    (
        # The same instant as above at another offset: the offset is kept, so it hashes apart.
        "same instant in UTC",
        GoldenTyped(at=dt.datetime(2024, 5, 6, 5, 8, 9, 10, tzinfo=dt.UTC)),
        "1a0daee7d6383e7964e38d41ebfe962e2fb6451dfc8e5bebd0f0d891c879e3de",
    ),
    (
        "naive datetime",
        GoldenTyped(at=dt.datetime(2024, 5, 6, 7, 8, 9, 10)),
        "31b03b679d2a6d040fe72a6cb018d8cf2867459b5e6b17ed35cc8dd85c7b6b7a",
    ),
    (
        "date",
        GoldenTyped(day=dt.date(2024, 5, 6)),
        "20d73f4a203453433d395a5c52fd0823dadd0600be70016c8917f024446862af",
    ),
    (
        "naive time",
        GoldenTyped(clock=dt.time(7, 8, 9)),
        "5dd9677b105f2e4b5e62d67705a6f70e02227ef08aec67e19d27bc36a06d128f",
    ),
    (
        "aware time",
        GoldenTyped(clock=dt.time(7, 8, 9, 500, tzinfo=_MINUS_5_30)),
        "fb43606ec57ef75ed281710be62b1cb359c147846f4130a7b325163508611a70",
    ),
    (
        "timedelta",
        GoldenTyped(span=dt.timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=5)),
        "03216b67f2d5f35796a416690dcc1c1fb353d72d8644d568349f86fb1786c86c",
    ),
    (
        "negative timedelta",
        GoldenTyped(span=dt.timedelta(microseconds=-1)),
        "d031b1f42bded1be42e6352dfb10dbee0dcb55d07c7d7fa8ca1ca27d16dfbe88",
    ),
    (
        "UUID",
        GoldenTyped(id=uuid.UUID("12345678-9ABC-DEF0-1234-56789ABCDEF0")),
        "a613255c2aba734948763cb57749bba30b7bc7c07c2fb86c11673b9cd8c4c95b",
    ),
    (
        "Decimal 1.0",
        GoldenTyped(amount=Decimal("1.0")),
        "c8c695b55910c6d970c5987c2635520c3ee0900a766dbd9c8f14fecc6c4bebd9",
    ),
    (
        "Decimal 1",
        GoldenTyped(amount=Decimal("1")),
        "141096ce97051fe572bb7503bd16f8d75788683beb386ae806fedc8427d3d0fc",
    ),
    (
        "Decimal with exponent",
        GoldenTyped(amount=Decimal("-1.5E+7")),
        "9af3f28e9ea991fe8fdcf7769b801681edde0deec7838f9b03b599da0b0de828",
    ),
    (
        "Enum by its str value",
        GoldenTyped(color=GoldenColor.RED),
        "aab05e42dbde04e614e0878c3631dc49c0193b5afee46e42de0030d7efbf7111",
    ),
    (
        "Enum by its int value",
        GoldenTyped(color=GoldenColor.BLUE),
        "5cb42160de1a25cfc66a667786e990a163babb78da375bf10e40b7ae754a0803",
    ),
    (
        "Path",
        GoldenTyped(path=Path("dir/sub/file.txt")),
        "911d2b6ddb219b1068a67126fcfb05f2828299bb6f6ac6ccb38c250128826420",
    ),
    (
        "bytes",
        GoldenTyped(blob=b"\x00\xffhi"),
        "6d8f3fa23e090c7f61d8ea2130e2c45f6144b853b4853094cc93b7e9aed976f7",
    ),
    (
        "frozenset",
        GoldenTyped(tags=frozenset({"b", "a", "é"})),
        "404b318ffeeb0ca1aefb461fd800f079f55a8170c5d21ab9c5ce2d5284836ebc",
    ),
    (
        "empty frozenset",
        GoldenTyped(tags=frozenset()),
        "5c0e3cfb5dca1911214dfdf2724a81386bdce632d9bb72e8a40c5f88bc6727a9",
    ),
]

_NESTED = Message(
    text="nested",
    due=[dt.date(2024, 1, 1), None, {"at": dt.time(12, 0)}],
    stamp=GoldenStamp(at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
    mixed=frozenset({1, "1", (Decimal("2"), b"x")}),
    windows=PureWindowsPath("C:\\Users\\me"),
)


@pytest.mark.parametrize(
    ("label", "value", "expected"), TYPED_GOLDEN, ids=[g[0] for g in TYPED_GOLDEN]
)
def test_typed_golden_hash_never_drifts(label: str, value: Message, expected: str) -> None:
    assert value.hash_key == expected, label
    assert hashlib.sha256(canonical_json(value)).hexdigest() == expected


def test_typed_golden_hashes_are_all_different() -> None:
    assert len({expected for _, _, expected in TYPED_GOLDEN}) == len(TYPED_GOLDEN)


def test_nested_typed_values_canonical_json_is_exactly_this() -> None:
    # Arrays and mappings of typed values, a nested model by reference, a frozenset sorted by
    # each element's canonical JSON text ('"1"' < '1' < '['), a Windows path in POSIX form.
    assert canonical_json(_NESTED) == (
        b'{"$type":"Message",'
        b'"due":[{"$date":"2024-01-01"},null,{"at":{"$time":"12:00:00.000000"}}],'
        b'"mixed":{"$frozenset":["1",1,[{"$decimal":"2"},{"$bytes":"eA=="}]]},'
        b'"role":null,'
        b'"stamp":{"$hash":"ac727c7eb4044b3d098d7c1cb616fb91f8231f98329afb9f218a4cbf5a5e1955"},'
        b'"text":"nested","windows":{"$path":"C:/Users/me"}}'
    )
    assert _NESTED.hash_key == "5edd1702767111ca8946c7fd1fbfe066bf1c6c92bd5b5a7d171d073125c775a2"


def test_typed_values_did_not_move_the_existing_vectors() -> None:
    # A str that happens to look like a date stays a str: only the marker makes a date.
    assert Message(text="2024-05-06").hash_key != Message(text="", day=dt.date(2024, 5, 6)).hash_key
    assert Message(day="2024-05-06").hash_key != Message(day=dt.date(2024, 5, 6)).hash_key


def test_an_enum_member_hashes_as_its_value() -> None:
    assert Message(color=GoldenColor.RED).hash_key == Message(color="red").hash_key
    assert GoldenTyped(color="red").color is GoldenColor.RED
