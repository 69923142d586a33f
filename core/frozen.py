"""Immutable, content-hashed pydantic models.

`Frozen` is the base of every value Ramify hashes: messages, nodes, frozen agent kwargs.
Its identity is `hash_key`, the sha256 of a canonical JSON document (see `canonical_json`):

* keys sorted, compact separators (`,` and `:`), UTF-8, no NaN or infinity;
* every `Frozen` carries its type tag under the key ``"$type"``;
* a nested `Frozen` value appears by reference, as ``{"$hash": "<64 hex>"}``;
* tuples are JSON arrays, `FrozenMapping`s are JSON objects;
* datetime, date, time, timedelta, UUID, Decimal, paths, bytes and frozenset values are one-key
  objects such as ``{"$date": "2024-05-06"}`` (the table is in `ramify.core.typed_values`);
* an `Enum` member is written as its value, so a declared Enum field reads back as its member
  and an undeclared one as the plain value, hashing the same either way;
* private attributes and fields declared with ``Field(exclude=True)`` are left out.

Keys starting with ``$`` are reserved for these markers, so neither user mappings nor a
model's extra fields may use them. Every value must also be writable exactly by every store
and export: text is valid Unicode (no lone surrogates, which UTF-8 cannot encode), floats are
finite and ints have at most `MAX_INT_DIGITS` digits. `freeze` refuses anything else when the
value is built, so nothing fails later, at hashing or writing.
Changing any rule here changes every stored hash: the golden vectors in
``tests/core/test_frozen_golden.py`` exist to catch that.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self, cast

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, model_validator

from .fast_json import fast_encoder
from .typed_values import LEAF_TYPES, MARKERS, decode_leaf, encode_leaf, normalize_leaf

__all__ = [
    "MAX_INT_DIGITS",
    "Frozen",
    "FrozenMapping",
    "UnfreezableValueError",
    "canonical_json",
    "canonical_set_order",
    "freeze",
    "frozen_from_data",
]

HASH_RECIPE_VERSION = 1

MAX_INT_DIGITS = 4300
"""The most decimal digits an int may have: Python's default limit for converting an int to
and from text, which canonical JSON, the stores and session files all go through. Fixed here
rather than read from `sys`, so what is valid never depends on a process setting."""

_INT_BOUND = 10**MAX_INT_DIGITS
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class UnfreezableValueError(TypeError, ValueError):
    """A value cannot be frozen: it is not one of the supported immutable types."""


class FrozenMapping(Mapping[str, Any]):
    """An immutable, hashable mapping with string keys. What a dict becomes inside `Frozen`."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        merged = dict(data or {}, **kwargs)
        for key in merged:
            _check_key(key)
        self._data: dict[str, Any] = {key: freeze(value, key) for key, value in merged.items()}
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(canonical_json(self))
        return self._hash

    def __eq__(self, other: object) -> bool:
        # Equal exactly when the canonical JSON is, as the hash is: a dict's own equality
        # would call ``{"n": 1}``, ``{"n": 1.0}`` and ``{"n": True}`` equal but hash them apart.
        if isinstance(other, FrozenMapping):
            if self is other:
                return True
            return hash(self) == hash(other) and canonical_json(self) == canonical_json(other)
        if isinstance(other, Mapping):
            try:
                return self == FrozenMapping(other)
            except UnfreezableValueError:
                return False
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"

    def to_dict(self) -> dict[str, Any]:
        """A plain, mutable copy (nested mappings become dicts, tuples become lists)."""
        return {key: _thaw(value) for key, value in self._data.items()}


def _check_key(key: object, where: str = "mapping") -> None:
    if not isinstance(key, str):
        raise UnfreezableValueError(f"{where}: keys must be str, got {type(key).__name__}")
    _check_text(key, f"{where} key")
    if key.startswith("$"):
        raise UnfreezableValueError(
            f"{where}: key {key!r} is reserved (keys starting with '$' mark types and "
            "references in the hashed form); rename it"
        )


def _check_text(text: str, where: str) -> None:
    # The text itself is left out of the message: it cannot be printed or encoded either.
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found is not None:
            raise UnfreezableValueError(
                f"{where}: a lone surrogate (U+{ord(found.group()):04X}) at index "
                f"{found.start()} cannot be frozen, as UTF-8 cannot encode it; decode bytes "
                "with errors='replace' (or drop the character) first"
            )


def freeze(value: Any, where: str = "value") -> Any:
    """Return `value` made immutable: lists become tuples, dicts become `FrozenMapping`s.

    Supported leaves: None, bool, int of at most `MAX_INT_DIGITS` digits, finite float, str
    without lone surrogates, `Frozen`, `Enum` members whose value freezes, and the typed leaves
    of `ramify.core.typed_values` (datetime, date, time, timedelta, UUID, finite Decimal,
    paths, bytes), normalised as that module says; a frozenset freezes its elements. Anything
    else (sets, arbitrary objects) raises `UnfreezableValueError` naming `where` it was found.
    """
    if value is None or isinstance(value, (Frozen, FrozenMapping)):
        return value
    if isinstance(value, str):
        _check_text(value, where)
        return value
    if isinstance(value, int):
        if not -_INT_BOUND < value < _INT_BOUND:
            raise UnfreezableValueError(
                f"{where}: an int of more than {MAX_INT_DIGITS} digits cannot be frozen; "
                "store it as a str instead"
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnfreezableValueError(f"{where}: {value!r} cannot be frozen (not a finite float)")
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item, f"{where}[{index}]") for index, item in enumerate(value))
    if isinstance(value, Mapping):
        for key in value:
            _check_key(key, where)
        return FrozenMapping({key: freeze(item, f"{where}.{key}") for key, item in value.items()})
    return _freeze_typed(value, where)


def _freeze_typed(value: Any, where: str) -> Any:
    """`freeze` for the values beyond JSON's own (kept apart: the common leaves go first)."""
    if isinstance(value, Enum):
        # The member is kept (a declared field's type wants it); its value is what is hashed.
        freeze(value.value, f"{where} ({type(value).__name__}.{value.name} value)")
        return value
    if isinstance(value, LEAF_TYPES):
        try:
            normal = normalize_leaf(value)
        except ValueError as error:
            raise UnfreezableValueError(f"{where}: {error}") from None
        if isinstance(normal, PurePath):
            _check_text(normal.as_posix(), where)
        return normal
    if isinstance(value, frozenset):
        return frozenset(freeze(item, f"{where} element") for item in value)
    hint = "; use a frozenset" if isinstance(value, set) else ""
    raise UnfreezableValueError(
        f"{where}: a {type(value).__name__} cannot be frozen{hint}; use None, bool, int, float, "
        "str, datetime/date/time/timedelta, UUID, Decimal, Path, bytes, Enum, list/tuple, "
        "frozenset, dict with str keys, or a Frozen model (pass live objects such as clients "
        "through non_freezable kwargs instead)"
    )


def _thaw(value: Any) -> Any:
    if isinstance(value, FrozenMapping):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value


# Leaf types that are their own canonical and stored form. Checked by exact type first: an
# isinstance against `Frozen` goes through pydantic's ABC metaclass and is comparatively slow.
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})

# `json.dumps` builds a new encoder on every call when given options; this one is built once.
_CANONICAL_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


# The golden vectors in ``tests/core/test_frozen_golden.py`` hash through it.
_encode_canonical = fast_encoder(_CANONICAL_ENCODER, {"b": [1, 2.5, "é\n"], "a": None})


def _canonical(value: Any) -> Any:
    """The JSON-ready canonical form of an already frozen value (nested Frozen by hash)."""
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, Frozen):
        return {"$hash": value.hash_key}
    if isinstance(value, FrozenMapping):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_canonical(item) for item in value]
    return _canonical_typed(value)


def _canonical_typed(value: Any) -> Any:
    if isinstance(value, Enum):
        return _canonical(freeze(value.value))
    if isinstance(value, LEAF_TYPES):
        return encode_leaf(value)
    if isinstance(value, frozenset):
        return {"$frozenset": [form for form, _ in _set_order(value)]}
    return value


def _set_order(value: frozenset[Any]) -> list[tuple[Any, Any]]:
    """(canonical form, element) for each distinct canonical form, sorted by its JSON text.

    Two elements Python tells apart can share a canonical form (``Color.RED`` and ``"red"``):
    the form appears once, so the set hashes as the set it reads back as.
    """
    by_text: dict[str, tuple[Any, Any]] = {}
    for item in value:
        form = _canonical(item)
        by_text.setdefault(_CANONICAL_ENCODER.encode(form), (form, item))
    return [by_text[text] for text in sorted(by_text)]


def canonical_set_order(value: frozenset[Any]) -> list[Any]:
    """The elements of a frozenset in its canonical order, one per canonical form.

    Iterating a frozenset gives an order that depends on string hashing and insertion history,
    so anything shown or written from a set (a rendering, a ``str()``) must use this order to
    read the same every time the set is built.
    """
    return [item for _, item in _set_order(value)]


def canonical_json(value: Frozen | FrozenMapping) -> bytes:
    """The canonical JSON bytes that `hash_key` digests (see the module docstring)."""
    return _canonical_text(value).encode("utf-8")


def _canonical_text(value: Frozen | FrozenMapping) -> str:
    if isinstance(value, Frozen):
        document = value.canonical_document()
    else:
        document = _canonical(value)
    return _encode_canonical(document)


_DIGEST_SLICE = 1 << 20


def _sha256_hex(text: str) -> str:
    """The sha256 of `text` as UTF-8, encoded a slice at a time: a 20 MB reply is not copied
    whole into bytes once more (a fresh 20 MB block alone cost ~0.1 s of page faults on a VM)."""
    if len(text) <= _DIGEST_SLICE:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    digest = hashlib.sha256()
    for start in range(0, len(text), _DIGEST_SLICE):
        digest.update(text[start : start + _DIGEST_SLICE].encode("utf-8"))
    return digest.hexdigest()


# Type tag -> class, so stored data can be rebuilt into the class that wrote it.
_REGISTRY: dict[str, type[Frozen]] = {}
# Class -> names of its fields declared ``Field(exclude=True)``, computed on first use.
_EXCLUDED: dict[type[Frozen], frozenset[str]] = {}
# Attributes that make up an instance's identity; refused by `__setattr__` and `__delattr__`.
_IDENTITY_ATTRIBUTES = frozenset(
    {"_hash_key", "_foreign_tag", "_foreign_excluded", "_foreign_misfits"}
)
# The per-instance state of a pydantic 2 model. `Frozen.from_stored_fields` fills these slots
# itself, several times faster than `model_construct`; a pydantic release that changes them
# makes it fall back to `model_construct` rather than build half an instance.
_PYDANTIC_STATE = {
    "__dict__",
    "__pydantic_extra__",
    "__pydantic_fields_set__",
    "__pydantic_private__",
}
_BUILD_DIRECTLY = set(BaseModel.__slots__) == _PYDANTIC_STATE


class _Layout(NamedTuple):
    """What `from_stored_fields` needs to know about a class, computed once per class."""

    fields: frozenset[str]
    extra_allowed: bool
    # Private attribute defaults to copy into each instance; None when one is mutable or made
    # by a factory, which leaves the class to `model_construct`.
    private_template: dict[str, Any] | None


_LAYOUTS: dict[type[Frozen], _Layout] = {}


def _excluded_fields(cls: type[Frozen]) -> frozenset[str]:
    try:
        return _EXCLUDED[cls]
    except KeyError:
        names = frozenset(name for name, field in cls.model_fields.items() if field.exclude)
        _EXCLUDED[cls] = names
        return names


def _layout(cls: type[Frozen]) -> _Layout:
    try:
        return _LAYOUTS[cls]
    except KeyError:
        private = cls.__private_attributes__
        template = {name: attribute.default for name, attribute in private.items()}
        shareable = all(
            attribute.default_factory is None and type(attribute.default) in _PLAIN_TYPES
            for attribute in private.values()
        )
        layout = _Layout(
            fields=frozenset(cls.__pydantic_fields__),
            extra_allowed=cls.model_config.get("extra") == "allow",
            private_template=template if shareable else None,
        )
        _LAYOUTS[cls] = layout
        return layout


class Frozen(BaseModel):
    """An immutable pydantic model whose identity is the sha256 of its canonical JSON.

    Subclasses may set ``type_tag`` (a class variable) to a stable name; it defaults to the
    class's ``__qualname__``. Equality and ``hash()`` follow ``hash_key``.

    Field values are frozen (see `freeze`) and each kind has one canonical JSON encoding:

    ============== ================================================================
    None/bool/int  JSON literal (an int of at most `MAX_INT_DIGITS` digits)
    float          JSON number, finite only (Python's ``repr`` digits)
    str            JSON string, UTF-8, no lone surrogates
    list/tuple     JSON array (held as a tuple)
    dict/Mapping   JSON object with str keys not starting with ``$`` (a `FrozenMapping`)
    Frozen         ``{"$hash": "<64 hex>"}`` (inlined with its ``$type`` when stored)
    Enum member    the encoding of its ``value`` (held as the member)
    datetime       ``{"$datetime": "2024-05-06T07:08:09.000010+02:00"}`` (no offset if naive)
    date           ``{"$date": "2024-05-06"}``
    time           ``{"$time": "07:08:09.000010"}`` (``+HH:MM`` appended when aware)
    timedelta      ``{"$timedelta": <int microseconds>}``
    UUID           ``{"$uuid": "<lowercase hyphenated>"}``
    Decimal        ``{"$decimal": "<str(value)>"}``, finite only; exponent kept
    Path           ``{"$path": "<as_posix()>"}``
    bytes          ``{"$bytes": "<base64, padded>"}``
    frozenset      ``{"$frozenset": [<distinct element forms, sorted by JSON text>]}``
    ============== ================================================================

    Values Python calls equal but that read back differently hash apart (``Decimal("1.0")``
    and ``Decimal("1")``, one instant at two UTC offsets); naive datetimes stay naive. The
    details and the normalisation done when freezing are in `ramify.core.typed_values`.
    """

    model_config = ConfigDict(frozen=True, extra="allow", arbitrary_types_allowed=True)

    # The cached hash lives in a slot, not a pydantic private attribute: pydantic serves those
    # through `__getattr__` (~3 us a read), a slot is a plain descriptor (~0.1 us). Copies and
    # unpickled instances start without it and hash again, so `model_copy(update=...)` can
    # never carry a stale hash.
    __slots__ = ("_hash_key",)
    if TYPE_CHECKING:
        _hash_key: str

    type_tag: ClassVar[str] = "Frozen"

    # Set when data written by a class this process does not know is loaded into a base
    # class, to keep its hash: the original tag; the names of the fields that class left out
    # of its hash (which storage keeps); and the stored values of fields the base declares
    # with another type (a foreign ``role: int``), which the instance holds at their defaults
    # instead, so code reading them as the base declares them still can.
    _foreign_tag: str | None = PrivateAttr(default=None)
    _foreign_excluded: frozenset[str] | None = PrivateAttr(default=None)
    _foreign_misfits: dict[str, Any] | None = PrivateAttr(default=None)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_tag" not in cls.__dict__:
            cls.type_tag = cls.__qualname__
        _REGISTRY.setdefault(cls.type_tag, cls)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _install_post_init(cls)

    @model_validator(mode="after")
    def _freeze_values(self) -> Self:
        # Declared `dict`/`list` fields arrive as mutable containers after validation, and
        # extra fields are not validated at all; freezing every value here covers both.
        self._freeze_all()
        return self

    def _freeze_all(self) -> None:
        for name, value in list(self.__dict__.items()):
            # The common leaves that are already frozen are checked inline, as `freeze`
            # checks them: a call and the `where` text per field cost more than the check.
            kind = type(value)
            if kind is str:
                if value.isascii():
                    continue
            elif (
                value is None or kind is bool or (kind is int and -_INT_BOUND < value < _INT_BOUND)
            ):
                continue
            frozen_value = freeze(value, f"{type(self).__name__}.{name}")
            if frozen_value is not value:
                object.__setattr__(self, name, frozen_value)
        extra = self.__pydantic_extra__
        if extra:
            for name, value in list(extra.items()):
                # An extra field named "$type" would vanish under the type tag and hash like
                # the model without it: refused like a reserved mapping key.
                _check_key(name, type(self).__name__)
                extra[name] = freeze(value, f"{type(self).__name__}.{name}")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy, with `update`'s values frozen and checked as construction checks them
        (pydantic's own `model_copy` validates nothing: ``update={"$type": ...}`` would
        forge a tag)."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy._freeze_all()
        return copy

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _IDENTITY_ATTRIBUTES:
            raise AttributeError(f"{type(self).__name__}.{name} is part of its identity: read-only")
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in _IDENTITY_ATTRIBUTES:
            raise AttributeError(f"{type(self).__name__}.{name} is part of its identity: read-only")
        super().__delattr__(name)

    def _tag(self) -> str:
        # Read through the private dict: attribute access to a private name costs ~3 us.
        private = self.__pydantic_private__
        foreign = private.get("_foreign_tag") if private else None
        return foreign or self.type_tag

    def _excluded(self) -> frozenset[str]:
        excluded = _excluded_fields(type(self))
        private = self.__pydantic_private__
        foreign = private.get("_foreign_excluded") if private else None
        return excluded | foreign if foreign else excluded

    def _stored_values(self) -> dict[str, Any]:
        """Every field's value as stored: declared, extra, and a foreign class's misfits."""
        values = dict(self.__dict__)
        if self.__pydantic_extra__:
            values.update(self.__pydantic_extra__)
        private = self.__pydantic_private__
        misfits = private.get("_foreign_misfits") if private else None
        if misfits:
            values.update(misfits)
        return values

    def hashed_fields(self) -> dict[str, Any]:
        """Field name -> frozen value, for every field that takes part in the hash."""
        excluded = self._excluded()
        values = self._stored_values()
        if excluded:  # most classes exclude nothing: no empty set made per call
            for name in excluded.intersection(values):
                del values[name]
        return values

    def canonical_document(self) -> dict[str, Any]:
        """The JSON object hashed by `hash_key`, before encoding."""
        document = self.hashed_fields()  # a fresh dict: its values are replaced in place
        for name, value in document.items():
            if type(value) not in _PLAIN_TYPES:
                document[name] = _canonical(value)
        document["$type"] = self._tag()
        return document

    @property
    def hash_key(self) -> str:
        """Full 64-hex sha256 of `canonical_json(self)`; computed once per instance."""
        try:
            # Through the slot itself: a missed attribute read would go on to pydantic's
            # `__getattr__`, which costs more than the hash of a short message.
            return _HASH_KEY_SLOT.__get__(self)  # type: ignore[no-any-return]
        except AttributeError:
            key = _sha256_hex(_canonical_text(self))
            object.__setattr__(self, "_hash_key", key)
            return key

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frozen):
            return self.hash_key == other.hash_key
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.hash_key)

    def to_data(self) -> dict[str, Any]:
        """A JSON-ready dict with nested `Frozen` values inlined, for storage and export.

        `frozen_from_data` reverses it. Unlike `canonical_document`, it includes excluded
        fields, since storage must not lose them, and names them under ``"$excluded"`` so a
        process that does not know the class still hashes the data as its class did.
        """
        data: dict[str, Any] = {"$type": self._tag()}
        data.update(self._stored_values())
        for name, value in data.items():
            if type(value) not in _PLAIN_TYPES:
                data[name] = _to_data(value)
        excluded = self._excluded()
        if excluded:
            data["$excluded"] = sorted(excluded)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild an instance of `cls` (or the registered subclass named by ``$type``)."""
        value = frozen_from_data(data, default=cls)
        if not isinstance(value, cls):
            raise TypeError(f"stored {data.get('$type')!r} is not a {cls.__name__}")
        return value

    @classmethod
    def from_stored_fields(cls, fields: dict[str, Any], hash_key: str) -> Self:
        """Rebuild an instance from stored field values and its stored hash, without validation.

        For stores reading back what a validated instance wrote: `fields` must hold every
        declared field of `cls`, already frozen, and `hash_key` is taken as given. Reading a
        long ancestor path builds thousands of nodes; skipping validation and re-hashing makes
        that several times faster. Anything else should use `from_data`.
        """
        layout = _layout(cls)
        template = layout.private_template
        instance: Self
        if _BUILD_DIRECTLY and template is not None and fields.keys() == layout.fields:
            instance = cls.__new__(cls)
            object.__setattr__(instance, "__dict__", fields)
            object.__setattr__(instance, "__pydantic_fields_set__", set(fields))
            object.__setattr__(instance, "__pydantic_extra__", {} if layout.extra_allowed else None)
            object.__setattr__(instance, "__pydantic_private__", dict(template))
        else:
            # The pydantic mypy plugin types `model_construct` as returning the base class.
            instance = cast(Self, cls.model_construct(**fields))
        object.__setattr__(instance, "_hash_key", hash_key)
        return instance

    @classmethod
    def from_own_fields(cls, fields: dict[str, Any]) -> Self:
        """An instance built from field values its caller made, skipping validation when
        every value is already frozen as validation would leave it: every declared field
        given, each None, a bool, a finite float, an ASCII str or a tuple of ASCII strs
        (ASCII holds no lone surrogate); anything else, or a pydantic whose instance state
        differs, is validated as ``cls(**fields)`` is. For a library's own records only:
        field validators and `model_post_init` checks are skipped, the caller vouches for
        what they check (a `Node`'s full hashes). The hash is `canonical_document`'s, spelled
        out for these values (a test pins the two equal); ~6 us saved per message or node a
        workflow records.
        """
        layout = _layout(cls)
        template = layout.private_template
        if not (_BUILD_DIRECTLY and template is not None and fields.keys() == layout.fields):
            return cls(**fields)
        for value in fields.values():
            kind = type(value)
            if kind is str:
                if not value.isascii():
                    return cls(**fields)
            elif kind is tuple:
                if not all(type(item) is str and item.isascii() for item in value):
                    return cls(**fields)
            elif kind is float:
                if not math.isfinite(value):
                    return cls(**fields)
            elif value is not None and kind is not bool:
                return cls(**fields)
        instance = cls.__new__(cls)
        object.__setattr__(instance, "__dict__", fields)
        object.__setattr__(instance, "__pydantic_fields_set__", set(fields))
        object.__setattr__(instance, "__pydantic_extra__", {} if layout.extra_allowed else None)
        object.__setattr__(instance, "__pydantic_private__", dict(template))
        # Hashed now, by `canonical_document`'s steps for these values (no extra, foreign or
        # excluded-by-a-foreign-class field; a tuple of strs is a JSON array), without its
        # lookups and the slot miss `hash_key` pays first.
        text = _plain_document(cls, fields)
        if text is None:
            excluded = _excluded_fields(cls)
            document = {
                name: list(value) if type(value) is tuple else value
                for name, value in fields.items()
                if name not in excluded
            }
            document["$type"] = cls.type_tag
            text = _encode_canonical(document)
        object.__setattr__(instance, "_hash_key", _sha256_hex(text))
        return instance


# Class -> its hashed keys in canonical (sorted) order, each with its JSON text up to the
# value (``"name":``); the ``$type`` entry is written whole (name None).
_PLAIN_KEYS: dict[type[Frozen], list[tuple[str | None, str]]] = {}
_encode_text = json.encoder.encode_basestring  # the canonical encoder's way (ensure_ascii=False)


def _plain_document(cls: type[Frozen], fields: dict[str, Any]) -> str | None:
    """`_encode_canonical` of `from_own_fields`' document, spelled out (keys sorted, compact,
    each text JSON-encoded as the canonical encoder writes it) when every hashed value is
    None, a bool, an ASCII str or a tuple of ASCII strs; None for anything else (a float
    goes the general way). A test pins the two equal; a workflow hashes one per task."""
    try:
        keys = _PLAIN_KEYS[cls]
    except KeyError:
        names = sorted([*(fields.keys() - _excluded_fields(cls)), "$type"])
        keys = [
            (None, f"{_encode_text(name)}:{_encode_text(cls.type_tag)}")
            if name == "$type"
            else (name, f"{_encode_text(name)}:")
            for name in names
        ]
        _PLAIN_KEYS[cls] = keys
    encode = _encode_text
    parts = []
    for name, prefix in keys:
        if name is None:
            parts.append(prefix)
            continue
        value = fields[name]
        kind = type(value)
        if kind is str:
            parts.append(prefix + encode(value))
        elif value is None:
            parts.append(prefix + "null")
        elif kind is tuple:
            parts.append(prefix + "[" + ",".join([encode(item) for item in value]) + "]")
        elif value is True:
            parts.append(prefix + "true")
        elif value is False:
            parts.append(prefix + "false")
        else:
            return None
    return "{" + ",".join(parts) + "}"


def _private_template(cls: type[Frozen]) -> dict[str, Any] | None:
    """The private attributes' defaults, when every one is a plain constant, else None."""
    private = cls.__private_attributes__
    if not all(
        attribute.default_factory is None and type(attribute.default) in _PLAIN_TYPES
        for attribute in private.values()
    ):
        return None
    return {name: attribute.default for name, attribute in private.items()}


def _install_post_init(cls: type[Frozen]) -> None:
    """Replace pydantic's `model_post_init` chain on `cls` with one cheap call.

    Pydantic wraps `model_post_init` once more in every subclass of a model with private
    attributes, and each wrapper initialises them again, asking every attribute for its
    default (~1 us each): a NetMessage subclass paid for four rounds. When the defaults are
    plain constants, a copy of them is set once, then the class's own `model_post_init` (the
    innermost wrapped function, if any) runs; its ``super()`` call lands on a base's
    replacement, which sees the attributes set and returns. Other classes keep pydantic's.
    """
    current = cls.__dict__.get("model_post_init")
    template = _private_template(cls)
    if current is None or template is None:
        return
    own: Any = current
    while hasattr(own, "__wrapped__"):
        own = own.__wrapped__
    if getattr(own, "__module__", "").startswith("pydantic."):
        own = None  # pydantic's `init_private_attributes`: nothing of the class's own

    def post_init(self: BaseModel, context: Any, /) -> None:
        if getattr(self, "__pydantic_private__", None) is None:
            object.__setattr__(self, "__pydantic_private__", dict(template))
        if own is not None:
            own(self, context)

    post_init.__wrapped__ = own  # type: ignore[attr-defined]
    cls.model_post_init = post_init  # type: ignore[method-assign]


def _to_data(value: Any) -> Any:
    if isinstance(value, Frozen):
        return value.to_data()
    if isinstance(value, FrozenMapping):
        return {key: _to_data(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_to_data(item) for item in value]
    if isinstance(value, Enum):
        return _to_data(freeze(value.value))
    if isinstance(value, LEAF_TYPES):
        return encode_leaf(value)
    if isinstance(value, frozenset):
        return {"$frozenset": [_to_data(item) for _, item in _set_order(value)]}
    return value


def _from_data(value: Any) -> Any:
    if isinstance(value, dict):
        if "$type" in value:
            return frozen_from_data(value)
        if len(value) == 1:
            ((key, payload),) = value.items()
            if key in MARKERS:
                return _decoded(key, payload)
        return {key: _from_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_data(item) for item in value]
    return value


def _decoded(marker: str, payload: Any) -> Any:
    if marker != "$frozenset":
        return decode_leaf(marker, payload)
    if not isinstance(payload, list):
        raise ValueError(f"$frozenset: expected a list, got {type(payload).__name__}")
    return frozenset(freeze(_from_data(item), "$frozenset element") for item in payload)


def _excluded_names(data: Mapping[str, Any]) -> frozenset[str] | None:
    names = data.get("$excluded")
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError("frozen data: '$excluded' must be a list of field names")
    return frozenset(names)


def frozen_from_data(data: Mapping[str, Any], default: type[Frozen] = Frozen) -> Frozen:
    """Rebuild a `Frozen` from `Frozen.to_data()` output.

    The class is looked up by ``$type``. An unknown tag (data written by a class this process
    never imported) loads into `default`, keeping the tag so the hash is unchanged.
    """
    tag = data.get("$type")
    if not isinstance(tag, str):
        raise ValueError("frozen data has no '$type' tag")
    fields = {key: _from_data(item) for key, item in data.items() if key not in _DATA_MARKERS}
    cls = _REGISTRY.get(tag)
    if cls is None:
        excluded = _excluded_names(data)
        instance, misfits = _foreign_instance(default, fields)
        private = instance.__pydantic_private__
        assert private is not None  # Frozen declares `_foreign_tag`, so pydantic made the dict
        private["_foreign_tag"] = tag
        if excluded:
            private["_foreign_excluded"] = excluded
        if misfits:
            private["_foreign_misfits"] = misfits
        return instance
    return cls.model_validate(fields)


def _foreign_instance(
    default: type[Frozen], fields: dict[str, Any]
) -> tuple[Frozen, dict[str, Any] | None]:
    """`fields` of an unknown class validated as `default`, and the values of the fields
    `default` declares that do not fit its declaration (left at their defaults)."""
    try:
        return default.model_validate(fields), None
    except ValidationError as error:
        declared = default.model_fields
        names = {
            str(place[0]) for place in (item["loc"] for item in error.errors()) if place
        } & declared.keys()
        if not names:
            raise
    misfits = {name: freeze(fields[name], name) for name in names}
    fitting = {name: value for name, value in fields.items() if name not in names}
    return default.model_validate(fitting), misfits


_install_post_init(Frozen)
_HASH_KEY_SLOT: Any = Frozen.__dict__["_hash_key"]

# Keys of `Frozen.to_data` output that describe the instance rather than hold a field.
_DATA_MARKERS = frozenset({"$type", "$excluded"})
