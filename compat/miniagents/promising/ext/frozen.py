"""MiniAgents' `Frozen`, as a Ramify `Frozen` with MiniAgents' JSON views.

What is MiniAgents' here: dicts becoming `Frozen` rather than `FrozenMapping`, ``str()``
being the JSON, and `serialize()` / `serialized` / `full_json` with the ``class_`` key.

What stays Ramify's: the value types (`datetime`, `UUID`, `Decimal`, `Path`, `Enum`, `bytes`,
`frozenset`... are Ramify's own typed values, `ramify.core.typed_values`), their one canonical
encoding, and `hash_key`, the full 64-hex sha256 of Ramify's canonical JSON, not MiniAgents'
40-hex digest. So a compat value hashes, compares and stores exactly like the same value built
with Ramify's core, and a store reads it back the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

from ramify.core.frozen import Frozen as CoreFrozen
from ramify.core.frozen import FrozenMapping, UnfreezableValueError, canonical_set_order, freeze

__all__ = ["FROZEN_CLASS_FIELD", "Frozen", "FrozenType", "StrictFrozen"]

FROZEN_CLASS_FIELD = "class_"

FrozenType = Any
"""Any value a `Frozen` accepts (MiniAgents exports this name for type hints)."""


def freeze_value(value: Any, where: str) -> Any:
    """Make `value` immutable the MiniAgents way: lists become tuples, dicts `Frozen`; every
    leaf is frozen (and normalised) as Ramify's core freezes it."""
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


class Frozen(CoreFrozen):
    """An immutable model with any fields; ``str()`` is its JSON (MiniAgents' `Frozen`)."""

    model_config = ConfigDict(frozen=True, extra="allow", arbitrary_types_allowed=True)
    type_tag: ClassVar[str] = "miniagents.Frozen"

    # Fields Ramify's core declares for its own use, left out of MiniAgents' JSON views.
    _hidden_fields: ClassVar[frozenset[str]] = frozenset()

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
    if isinstance(value, frozenset):
        # In canonical order: iteration order varies with hashing and insertion history, and
        # a message's str() (its stored text) must read the same each time it is built.
        return [_viewed(item, by_reference=by_reference) for item in canonical_set_order(value)]
    return value
