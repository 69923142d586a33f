"""Messages: text, roles, errors as messages, custom fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ramify.core import (
    AssistantMessage,
    ErrorMessage,
    Frozen,
    Message,
    SystemMessage,
    UserMessage,
)


class CustomMessage(Message):
    custom_field: str


def test_str_of_a_message_is_its_text() -> None:
    assert str(Message(text="hi")) == "hi"
    assert str(Message("positional")) == "positional"


def test_text_given_twice_is_an_error() -> None:
    with pytest.raises(TypeError):
        Message("a", text="b")


@pytest.mark.parametrize(
    ("cls", "role"),
    [(UserMessage, "user"), (SystemMessage, "system"), (AssistantMessage, "assistant")],
)
def test_message_kinds_differ_by_default_role(cls: type[Message], role: str) -> None:
    assert cls(text="x").role == role


def test_same_text_different_kind_different_hash() -> None:
    assert UserMessage(text="x").hash_key != AssistantMessage(text="x").hash_key


def test_custom_message_as_in_the_seed_readme() -> None:
    message = CustomMessage(text="Hello", custom_field="x")
    assert (str(message), message.custom_field) == ("Hello", "x")
    again = Frozen.from_data(message.to_data())
    assert type(again) is CustomMessage
    assert again == message


def test_extra_fields_are_allowed_and_hashed() -> None:
    plain = Message(text="x")
    tagged = Message(text="x", mood="happy")
    assert tagged.mood == "happy"  # type: ignore[attr-defined]
    assert plain.hash_key != tagged.hash_key


def test_error_message_records_the_exception() -> None:
    try:
        raise ValueError("bad input")
    except ValueError as error:
        message = ErrorMessage.from_exception(error, partial_text="so far", with_traceback=True)
    assert message.text == "ValueError: bad input"
    assert (message.error_type, message.error_text) == ("ValueError", "bad input")
    assert message.partial_text == "so far"
    assert message.traceback is not None
    assert "raise ValueError" in message.traceback


def test_error_message_without_text_shows_the_type() -> None:
    assert ErrorMessage.from_exception(KeyboardInterrupt()).text == "KeyboardInterrupt"


def test_messages_are_immutable() -> None:
    message = UserMessage(text="x")
    with pytest.raises(ValidationError):
        message.text = "y"  # type: ignore[misc]


def test_unknown_stored_type_loads_as_base_with_same_hash() -> None:
    data = CustomMessage(text="Hello", custom_field="x").to_data()
    data["$type"] = "SomeoneElsesMessage"
    loaded = Message.from_data(data)
    assert type(loaded) is Message
    assert loaded.to_data()["$type"] == "SomeoneElsesMessage"
    assert Message.from_data(loaded.to_data()).hash_key == loaded.hash_key
