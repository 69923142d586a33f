"""MiniAgents' `Frozen`, as a Ramify `Frozen` with MiniAgents' value types and JSON views.

What is MiniAgents' here: the accepted value types (Ramify's core also refuses `datetime`,
`UUID`, `Decimal`, `Path`, `Enum`, `bytes` and `frozenset`), dicts becoming `Frozen` rather
than `FrozenMapping`, ``str()`` being the JSON, and `serialize()` / `serialized` /
`full_json` with the ``class_`` key.

What stays Ramify's: `hash_key` is the full 64-hex sha256 of Ramify's canonical JSON, not
MiniAgents' 40-hex digest, so a compat value hashes, compares and stores like any other
Ramify value. The extra leaf types are hashed as marked JSON objects (see `_canonical`), so
``datetime(2024, 1, 1)`` never hashes like the string ``"2024-01-01T00:00:00"``.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import sys
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, model_validator
from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

from ramify.core.frozen import Frozen as CoreFrozen
from ramify.core.frozen import FrozenMapping, UnfreezableValueError, freeze

__all__ = ["FROZEN_CLASS_FIELD", "Frozen", "FrozenType", "StrictFrozen"]

FROZEN_CLASS_FIELD = "class_"

# Leaves MiniAgents accepts on top of Ramify's None/bool/int/float/str.
_EXTRA_LEAVES: tuple[type[Any], ...] = (
    uuid.UUID,
    dt.datetime,
    dt.date,
    dt.time,
    dt.timedelta,
    Decimal,
    PurePath,
    enum.Enum,
    bytes,
)

FrozenType = Any
"""Any value a `Frozen` accepts (MiniAgents exports this name for type hints)."""


def freeze_value(value: Any, where: str) -> Any:
    """Make `value` immutable the MiniAgents way: lists become tuples, dicts `Frozen`."""
    if isinstance(value, _EXTRA_LEAVES):
        return value
    if isinstance(value, frozenset):
        return frozenset(freeze_value(item, f"{where}[]") for item in value)
    if isinstance(value, (list, tuple)):
        return tuple(freeze_value(item, f"{where}[{i}]") for i, item in enumerate(value))
    if isinstance(value, (Mapping, FrozenMapping)) and not isinstance(value, CoreFrozen):
        return Frozen(**{str(key): item for key, item in value.items()})
    if isinstance(value, BaseModel) and not isinstance(value, CoreFrozen):
        return Frozen(**value.model_dump())
    return freeze(value, where)


def _json_text(document: Any) -> str:
    # Bytes show as UTF-8 text, as in MiniAgents; bytes that are not UTF-8 show as base64
    # rather than make the value impossible to print (or a message impossible to build).
    try:
        return to_json(document).decode()
    except PydanticSerializationError:
        return to_json(document, bytes_mode="base64").decode()


def _jsonable(document: Any) -> Any:
    try:
        return to_jsonable_python(document)
    except PydanticSerializationError:
        return to_jsonable_python(document, bytes_mode="base64")


# Extra leaf type -> the marker key it is hashed and stored under. Checked in this order
# (a datetime is also a date).
_MARKERS: tuple[tuple[type[Any], str], ...] = (
    (uuid.UUID, "$uuid"),
    (dt.datetime, "$datetime"),
    (dt.date, "$date"),
    (dt.time, "$time"),
    (dt.timedelta, "$timedelta"),
    (Decimal, "$decimal"),
    (PurePath, "$path"),
)
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$uuid": uuid.UUID,
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
    "$timedelta": TypeAdapter(dt.timedelta).validate_python,
    "$decimal": Decimal,
    "$path": Path,
    "$bytes": base64.b64decode,
}


def _marked(value: Any, inner: Callable[[Any], Any]) -> Any:
    """The marked JSON object of an extra leaf type (None for any other value); `inner`
    encodes the members of a frozenset and an enum's value."""
    if isinstance(value, frozenset):
        items = [inner(item) for item in value]
        return {"$frozenset": sorted(items, key=lambda item: to_json(item).decode())}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, enum.Enum):
        kind = type(value)
        return {"$enum": f"{kind.__module__}:{kind.__qualname__}", "value": inner(value.value)}
    for kind, marker in _MARKERS:
        if isinstance(value, kind):
            return {marker: to_jsonable_python(value)}
    return None


def _canonical(value: Any) -> Any:
    # Ramify's canonical form, extended with one marked object per extra leaf type. Markers
    # start with "$", which user keys may not, so no user data can collide with them.
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, CoreFrozen):
        return {"$hash": value.hash_key}
    if isinstance(value, tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, FrozenMapping):
        return {key: _canonical(item) for key, item in value.items()}
    marked = _marked(value, _canonical)
    return value if marked is None else marked


def _stored(value: Any) -> Any:
    # What `to_data` writes: nested values inlined, extra leaf types marked as in the hash.
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, CoreFrozen):
        return value.to_data()
    if isinstance(value, tuple):
        return [_stored(item) for item in value]
    if isinstance(value, FrozenMapping):
        return {key: _stored(item) for key, item in value.items()}
    marked = _marked(value, _stored)
    return value if marked is None else marked


def _unmarked(value: Any) -> Any:
    """`_stored` reversed for the marked leaves (nested `Frozen` data is rebuilt by Ramify)."""
    if isinstance(value, list):
        return [_unmarked(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$frozenset":
            return frozenset(_unmarked(item) for item in inner)
        if key in _DECODERS:
            return _DECODERS[key](inner)
    if value.keys() == {"$enum", "value"}:
        return _enum_member(value["$enum"], _unmarked(value["value"]))
    return {key: _unmarked(item) for key, item in value.items()}


def _enum_member(name: str, value: Any) -> enum.Enum:
    # Looked up among modules already imported, never imported here: stored data must not
    # decide what code runs.
    module_name, _, qualname = name.partition(":")
    found: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not (isinstance(found, type) and issubclass(found, enum.Enum)):
        raise ValueError(f"stored enum {name} is not loaded: import its module first")
    return found(value)


class Frozen(CoreFrozen):
    """An immutable model with any fields; ``str()`` is its JSON (MiniAgents' `Frozen`)."""

    model_config = ConfigDict(frozen=True, extra="allow", arbitrary_types_allowed=True)
    type_tag: ClassVar[str] = "miniagents.Frozen"

    # Fields Ramify's core declares for its own use, left out of MiniAgents' JSON views.
    _hidden_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _read_marked_values(cls, data: Any) -> Any:
        # Stored data (`to_data`) holds the extra leaf types as marked objects.
        if isinstance(data, dict):
            return {key: _unmarked(value) for key, value in data.items()}
        return data

    def to_data(self) -> dict[str, Any]:
        """Ramify's stored form, with the extra leaf types marked as in the hash."""
        data: dict[str, Any] = {"$type": self._tag()}
        data.update(self.__dict__)
        if self.__pydantic_extra__:
            data.update(self.__pydantic_extra__)
        return {key: value if key == "$type" else _stored(value) for key, value in data.items()}

    def _freeze_all(self) -> None:
        name = type(self).__name__
        for key, value in list(self.__dict__.items()):
            frozen_value = freeze_value(value, f"{name}.{key}")
            if frozen_value is not value:
                object.__setattr__(self, key, frozen_value)
        extra = self.__pydantic_extra__
        if extra:
            for key, value in list(extra.items()):
                if key.startswith("$"):
                    raise UnfreezableValueError(f"{name}: field name {key!r} is reserved")
                extra[key] = freeze_value(value, f"{name}.{key}")

    def canonical_document(self) -> dict[str, Any]:
        """Ramify's hashed document, with the extra leaf types marked (see `_canonical`)."""
        document = {key: _canonical(value) for key, value in self.hashed_fields().items()}
        document["$type"] = self._tag()
        return document

    def _visible_fields(self) -> dict[str, Any]:
        fields = dict(self.__dict__)
        if self.__pydantic_extra__:
            fields.update(self.__pydantic_extra__)
        for key in self._hidden_fields:
            fields.pop(key, None)
        return fields

    def _view(self, *, by_reference: bool) -> dict[str, Any]:
        document: dict[str, Any] = {FROZEN_CLASS_FIELD: type(self).__name__}
        for key, value in self._visible_fields().items():
            reference = _reference(value) if by_reference else None
            if reference is not None:
                suffix = "__hash_keys" if isinstance(value, tuple) else "__hash_key"
                document[f"{key}{suffix}"] = reference
            else:
                document[key] = _viewed(value, by_reference=by_reference)
        return document

    def serialize(self) -> dict[str, Any]:
        """A JSON-ready dict with ``class_``; nested messages appear by hash key."""
        return _jsonable(self._view(by_reference=True))  # type: ignore[no-any-return]

    @property
    def serialized(self) -> str:
        """`serialize()` as a JSON string."""
        return _json_text(self._view(by_reference=True))

    @property
    def full_json(self) -> str:
        """The JSON of this value with everything nested inlined."""
        return _json_text(self._view(by_reference=False))

    def as_kwargs(self) -> dict[str, Any]:
        """The fields as a dict (without ``class_``)."""
        return self._visible_fields()

    def keys(self) -> tuple[str, ...]:
        """The field names."""
        return tuple(self._visible_fields())

    def values(self) -> tuple[Any, ...]:
        """The field values."""
        return tuple(self._visible_fields().values())

    def get(self, key: str, default: Any = None) -> Any:
        """A field's value, or `default`."""
        return self._visible_fields().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._visible_fields()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._visible_fields()

    def __len__(self) -> int:
        return len(self._visible_fields())

    def __bool__(self) -> bool:
        # Always true, though `__len__` may be 0: Ramify's core tests values for presence
        # (``if message:``), and a message without fields is still a message.
        return True

    def __str__(self) -> str:
        return self.full_json


class StrictFrozen(Frozen):
    """A `Frozen` that refuses undeclared fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    type_tag: ClassVar[str] = "miniagents.StrictFrozen"


def _is_message(value: Any) -> bool:
    from ramify.core.messages import Message

    return isinstance(value, Message)


def _reference(value: Any) -> Any:
    # MiniAgents serialises a nested message as its hash key under "<field>__hash_key".
    if _is_message(value):
        return value.hash_key
    if isinstance(value, tuple) and value and all(_is_message(item) for item in value):
        return [item.hash_key for item in value]
    return None


def _viewed(value: Any, *, by_reference: bool) -> Any:
    if isinstance(value, Frozen):
        return value._view(by_reference=by_reference)
    if isinstance(value, CoreFrozen):
        return value.to_data()
    if isinstance(value, tuple):
        return [_viewed(item, by_reference=by_reference) for item in value]
    if isinstance(value, FrozenMapping):
        return {key: _viewed(item, by_reference=by_reference) for key, item in value.items()}
    return value
