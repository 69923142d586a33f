"""Golden vectors: exact hashes that must never drift between versions, processes or machines.

If one of these fails, the hash recipe changed and every stored hash with it. Do not update
the constants; fix the change (or version the recipe and migrate stored data on purpose).
"""

from __future__ import annotations

import hashlib

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
