"""Typed leaf values beyond JSON's own, each with one canonical JSON encoding.

`Frozen` values may hold these leaves besides None, bool, int, float and str. Each is written,
in the hashed form and in the stored form alike, as a one-key JSON object whose key names its
kind. Keys starting with ``$`` are refused in user mappings and field names, so no user value
can forge one, and a stored value reads back as its Python type even where no annotation says
what it is (an extra field, a ``list[Any]``, a message whose class was never imported).

| Python value | canonical JSON |
| --- | --- |
| `datetime` | ``{"$datetime": "2024-05-06T07:08:09.000010+02:00"}`` (1) |
| `date` | ``{"$date": "2024-05-06"}`` |
| `time` | ``{"$time": "07:08:09.000010"}``, with its UTC offset when aware (1) |
| `timedelta` | ``{"$timedelta": 93784000005}``: its length as an int of microseconds |
| `UUID` | ``{"$uuid": "12345678-9abc-def0-1234-56789abcdef0"}``: lowercase, hyphenated |
| `Decimal` | ``{"$decimal": "1.50"}``: ``str()``, keeping sign, digits and exponent |
| path | ``{"$path": "dir/file.txt"}``: its POSIX form (``as_posix()``) |
| `bytes` | ``{"$bytes": "aGk="}``: standard base64 with padding (RFC 4648 §4) |
| `frozenset` | ``{"$frozenset": [...]}``: elements' forms, each once, sorted (2) |
| `Enum` member | its ``value``'s encoding, with no marker (see `ramify.core.frozen`) |

(1) ISO 8601, always with 6-digit microseconds; the UTC offset as ``+HH:MM`` (or
``+HH:MM:SS[.ffffff]`` when it has seconds), absent when naive.
(2) Sorted by each element's canonical JSON text, in code point order.

Identity is representation: values Python calls equal but that read back differently hash
apart. ``Decimal("1.0")`` and ``Decimal("1")`` differ (the exponent is kept), and so do one
instant at two UTC offsets (the offset is kept, so the datetime reads back as written). A naive
datetime or time (no tzinfo, or one giving no offset) stays naive: it is never taken as UTC or
local time, and never equals an aware one.

Freezing normalises each value to what reads back, so a frozen value equals its read-back copy:
subclasses become the base type; an aware datetime or time gets a fixed `timezone(offset)` (a
`ZoneInfo`'s zone name is not kept, its offset at that instant is) and ``fold`` 0; any pure path
becomes a `Path` of its POSIX form; `bytearray` and `memoryview` become `bytes`. A Decimal that
is not finite (NaN, infinity) is refused, as such floats are.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import pathlib
import re
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["LEAF_TYPES", "MARKERS", "decode_leaf", "encode_leaf", "normalize_leaf", "plain_leaf"]

LEAF_TYPES: tuple[type, ...] = (
    dt.date,  # and datetime, its subclass
    dt.time,
    dt.timedelta,
    uuid.UUID,
    decimal.Decimal,
    pathlib.PurePath,
    bytes,
    bytearray,
    memoryview,
)
"""What `normalize_leaf` accepts (frozenset and Enum recurse, so `ramify.core.frozen` does them)."""


class _Refused(ValueError):
    """A leaf of a supported type that has no canonical form (a Decimal that is not finite)."""


# The concrete `Path` class of this platform (PosixPath or WindowsPath).
_CONCRETE_PATH = type(pathlib.Path())


def _fixed_zone(offset: dt.timedelta | None) -> dt.timezone | None:
    return None if offset is None else dt.timezone(offset)


def _normal_datetime(value: dt.datetime) -> dt.datetime:
    zone = _fixed_zone(value.utcoffset())
    if type(value) is dt.datetime and value.fold == 0 and value.tzinfo is zone is None:
        return value
    return dt.datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        tzinfo=zone,
    )


def _normal_time(value: dt.time) -> dt.time:
    zone = _fixed_zone(value.utcoffset())
    if type(value) is dt.time and value.fold == 0 and value.tzinfo is zone is None:
        return value
    return dt.time(value.hour, value.minute, value.second, value.microsecond, tzinfo=zone)


def normalize_leaf(value: Any) -> Any:
    """`value` (an instance of one of `LEAF_TYPES`) as it is held once frozen.

    Raises `ValueError` for a value with no canonical form.
    """
    if isinstance(value, dt.datetime):
        return _normal_datetime(value)
    if isinstance(value, dt.date):
        return value if type(value) is dt.date else dt.date(value.year, value.month, value.day)
    if isinstance(value, dt.time):
        return _normal_time(value)
    if isinstance(value, dt.timedelta):
        return value if type(value) is dt.timedelta else dt.timedelta(microseconds=_micros(value))
    if isinstance(value, uuid.UUID):
        return value if type(value) is uuid.UUID else uuid.UUID(int=value.int)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            # As for floats: NaN equals nothing, and pydantic refuses non-finite Decimals.
            raise _Refused(f"Decimal({str(value)!r}) has no canonical form (it is not finite)")
        return value if type(value) is decimal.Decimal else decimal.Decimal(value)
    if isinstance(value, pathlib.PurePath):
        return value if type(value) is _CONCRETE_PATH else pathlib.Path(value.as_posix())
    if isinstance(value, bytes):
        return value if type(value) is bytes else bytes(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"not a typed leaf: {type(value).__name__}")


def _micros(value: dt.timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


_ENCODERS: dict[type, tuple[str, Callable[[Any], Any]]] = {
    dt.datetime: ("$datetime", lambda value: value.isoformat(timespec="microseconds")),
    dt.date: ("$date", lambda value: value.isoformat()),
    dt.time: ("$time", lambda value: value.isoformat(timespec="microseconds")),
    dt.timedelta: ("$timedelta", _micros),
    uuid.UUID: ("$uuid", str),
    decimal.Decimal: ("$decimal", str),
    bytes: ("$bytes", lambda value: base64.b64encode(value).decode("ascii")),
}


def encode_leaf(value: Any) -> dict[str, Any]:
    """The canonical (and stored) JSON form of a normalised leaf: ``{"$kind": payload}``."""
    encoder = _ENCODERS.get(type(value))
    if encoder is not None:
        marker, encode = encoder
        return {marker: encode(value)}
    # Any concrete Path class (PosixPath, WindowsPath) lands here.
    return {"$path": value.as_posix()}


# The canonical texts have fixed widths before the offset: "YYYY-MM-DDTHH:MM:SS.ffffff" and
# "HH:MM:SS.ffffff". The offset is parsed here: Python 3.11's `fromisoformat` reads an offset
# of "+00:00:00.000001" as UTC.
_DATETIME_WIDTH = 26
_TIME_WIDTH = 15
_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{6}))?)?")


def _offset(text: str) -> dt.timezone | None:
    if not text:
        return None
    found = _OFFSET.fullmatch(text)
    if found is None:
        raise ValueError(f"bad UTC offset {text!r}")
    sign, hours, minutes, seconds, micros = found.groups()
    delta = dt.timedelta(
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds or 0),
        microseconds=int(micros or 0),
    )
    return dt.timezone(-delta if sign == "-" else delta)


def _decoded_datetime(payload: Any) -> dt.datetime:
    text = _string(payload)
    naive = dt.datetime.fromisoformat(text[:_DATETIME_WIDTH])
    return naive.replace(tzinfo=_offset(text[_DATETIME_WIDTH:]))


def _decoded_time(payload: Any) -> dt.time:
    text = _string(payload)
    naive = dt.time.fromisoformat(text[:_TIME_WIDTH])
    return naive.replace(tzinfo=_offset(text[_TIME_WIDTH:]))


def _string(payload: Any) -> str:
    if not isinstance(payload, str):
        raise ValueError(f"expected a string, got {type(payload).__name__}")
    return payload


def _decoded_timedelta(payload: Any) -> dt.timedelta:
    if type(payload) is not int:
        raise ValueError(f"expected an int of microseconds, got {type(payload).__name__}")
    try:
        return dt.timedelta(microseconds=payload)
    except OverflowError:
        raise ValueError(f"{payload} microseconds is beyond timedelta's range") from None


def _decoded_bytes(payload: Any) -> bytes:
    try:
        return base64.b64decode(_string(payload), validate=True)
    except binascii.Error as error:
        raise ValueError(f"not base64: {error}") from None


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$datetime": _decoded_datetime,
    "$date": lambda payload: dt.date.fromisoformat(_string(payload)),
    "$time": _decoded_time,
    "$timedelta": _decoded_timedelta,
    "$uuid": lambda payload: uuid.UUID(_string(payload)),
    "$decimal": lambda payload: decimal.Decimal(_string(payload)),
    "$path": lambda payload: pathlib.Path(_string(payload)),
    "$bytes": _decoded_bytes,
}

MARKERS = frozenset({*_DECODERS, "$frozenset"})
"""Every marker key of a typed value (``$frozenset`` is decoded by `ramify.core.frozen`)."""


def decode_leaf(marker: str, payload: Any) -> Any:
    """The value stored as ``{marker: payload}``; `ValueError` unless it is canonical.

    Only the canonical text of a value is accepted (``"1.0E+1"`` for ``Decimal("10")``, a
    datetime without microseconds, unpadded base64 are refused), so each value has exactly one
    stored form, as it has one hash.
    """
    try:
        value = normalize_leaf(_DECODERS[marker](payload))
    # A bad payload fails in the decoders' own ways; each is reported as bad data.
    except (TypeError, ValueError, ArithmeticError) as error:
        raise ValueError(f"{marker}: {error}") from None
    if encode_leaf(value) != {marker: payload}:
        raise ValueError(f"{marker}: {payload!r} is not in canonical form")
    return value


def plain_leaf(value: Any) -> Any:
    """A readable JSON value for a normalised leaf (for display; it does not read back)."""
    if isinstance(value, dt.timedelta):
        return str(value)
    return next(iter(encode_leaf(value).values()))
