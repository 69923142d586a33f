"""`Frozen.from_own_fields`: an instance of the caller's own values without validation, with
the hash, fields and behaviour of the validated instance; other values are validated."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from ramify.core import Node
from ramify.core.workflow import TaskOutput

_OUTPUT = {
    "text": '{"value": 1}',
    "role": "assistant",
    "workflow": "flow",
    "state": "first",
    "task": "t0",
    "joined": ("a" * 64, "b" * 64),
}


def _node(**changes: object) -> dict[str, object]:
    return {
        "message": "c" * 64,
        "parent": "d" * 64,
        "sender": "flow",
        "forwarded_from": None,
        "run_id": "r" * 32,
        "created_at": 1.5,
        **changes,
    }


def test_own_fields_build_the_instance_validation_builds() -> None:
    cases = (
        (TaskOutput, _OUTPUT),
        (TaskOutput, {**_OUTPUT, "text": 'a "quoted"\n\ttext\\ \u0001', "joined": ()}),
        (Node, _node()),
        (Node, _node(parent=None, created_at=None, run_id=None)),
    )
    for cls, fields in cases:
        fast = cls.from_own_fields(dict(fields))
        validated = cls(**fields)
        assert type(fast) is cls
        assert fast.hash_key == validated.hash_key
        assert fast.to_data() == validated.to_data()
        assert fast.__dict__ == validated.__dict__
        assert fast.__pydantic_private__ == validated.__pydantic_private__
        assert fast.__pydantic_extra__ == validated.__pydantic_extra__
        assert cls.from_data(fast.to_data()) == validated


def test_values_validation_would_change_or_refuse_are_validated() -> None:
    # Not ASCII: checked for lone surrogates as construction checks it.
    accented = TaskOutput.from_own_fields({**_OUTPUT, "text": "café"})
    assert accented.hash_key == TaskOutput(**{**_OUTPUT, "text": "café"}).hash_key
    with pytest.raises(ValidationError, match="lone surrogate"):
        TaskOutput.from_own_fields({**_OUTPUT, "text": "\ud800"})
    with pytest.raises(ValidationError):
        Node.from_own_fields(_node(created_at=math.nan))
    # A list is frozen into a tuple by validation.
    listed = TaskOutput.from_own_fields({**_OUTPUT, "joined": ["a" * 64]})
    assert listed.joined == ("a" * 64,)
    # A field left out takes its default through validation.
    defaulted = TaskOutput.from_own_fields({k: v for k, v in _OUTPUT.items() if k != "role"})
    assert defaulted.role == "assistant"


def test_the_spelled_out_hash_is_the_canonical_encoders() -> None:
    # Every JSON escape an ASCII text can need, None and bools (a model of its own: no
    # record has a bool field), empty and longer tuples.
    from ramify.core.frozen import Frozen

    class Flagged(Frozen):
        type_tag = "test.Flagged"
        text: str
        note: str | None = None
        on: bool = False
        names: tuple[str, ...] = ()

    texts = ("", 'a "quoted"\n\ttext\\ \u0001\u001f\u007f/', "{}", "$hash")
    for text in texts:
        for note in (None, text, "plain"):
            for on in (True, False):
                for names in ((), (text,), (text, "x", "")):
                    fields = {"text": text, "note": note, "on": on, "names": names}
                    assert Flagged.from_own_fields(dict(fields)).hash_key == (
                        Flagged(**fields).hash_key
                    )
    for text in texts:
        fields = {**_OUTPUT, "text": text, "task": text, "joined": (text,), "role": None}
        assert TaskOutput.from_own_fields(dict(fields)).hash_key == TaskOutput(**fields).hash_key
