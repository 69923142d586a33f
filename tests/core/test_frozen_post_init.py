"""`Frozen` sets private attributes once per instance and still runs a class's own
`model_post_init` (pydantic's wrapped chain is replaced, see `_install_post_init`)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import PrivateAttr

from ramify.core import Frozen
from ramify.core.net import NetMessage


class _Counted(Frozen):
    type_tag: ClassVar[str] = "tests.post_init.Counted"
    calls: ClassVar[list[str]] = []
    name: str = ""
    _note: str | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        # The private attributes are in place before the class's own post-init runs.
        _Counted.calls.append(f"{self.name}:{self._note}")
        if self.name == "bad":
            raise ValueError("bad name")


class _CountedChild(_Counted):
    type_tag: ClassVar[str] = "tests.post_init.CountedChild"


class _WithFactory(Frozen):
    type_tag: ClassVar[str] = "tests.post_init.WithFactory"
    _seen: list[str] = PrivateAttr(default_factory=list)


def test_own_post_init_runs_once_per_instance_and_in_subclasses() -> None:
    _Counted.calls.clear()
    _Counted(name="a")
    _CountedChild(name="b")
    _Counted.model_validate({"name": "c"})
    assert _Counted.calls == ["a:None", "b:None", "c:None"]


def test_own_post_init_can_still_refuse_a_value() -> None:
    with pytest.raises(ValueError, match="bad name"):
        _Counted(name="bad")


def test_private_attributes_are_not_shared_between_instances() -> None:
    first, second = _Counted(name="x"), _Counted(name="y")
    first._note = "mine"
    assert second._note is None
    assert first.__pydantic_private__ is not second.__pydantic_private__


def test_factory_defaults_still_made_per_instance() -> None:
    first, second = _WithFactory(), _WithFactory()
    first._seen.append("one")
    assert second._seen == []


def test_net_message_place_is_set_once_built() -> None:
    message = NetMessage(text="hi", sender="a", receiver="b")
    assert message.parent is None
    assert message.forwarded_from is None
    assert message.node is None
    assert message.__pydantic_private__ == {
        "_foreign_tag": None,
        "_foreign_excluded": None,
        "_foreign_misfits": None,
    }
