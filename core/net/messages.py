"""Net messages: typed messages with a sender, a receiver and the message they reply to.

`sender` and `receiver` are message fields, so they take part in the hash: who a message is
addressed to is part of what it says (the same words to another actor are another message).
`reply_to` is not a field: it is the message's place, the parent of its node in the session
tree. A node's hash already chains over its parent, so one node hash still names the whole
conversation state, and the same reply can sit under two messages (as any message can) without
becoming two different messages.

Until a message is recorded, its place lives on the instance (`parent`, `forwarded_from`): the
network sets it when it delivers the message, and `closest` walks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self, TypeVar

from ..messages import Message

__all__ = ["NetError", "NetMessage", "Stopped", "closest", "snake_case"]

M = TypeVar("M", bound=Message)


def snake_case(name: str) -> str:
    """``ContractorProposal`` -> ``contractor_proposal``; ``CFP`` -> ``cfp`` (handler names).

    Leading underscores are dropped: a private ``_Task`` is handled by ``receive_task``.
    """
    name = name.lstrip("_")
    out: list[str] = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            previous = name[index - 1]
            following = name[index + 1] if index + 1 < len(name) else ""
            if previous.islower() or previous.isdigit() or (following and following.islower()):
                out.append("_")
        out.append(char.lower())
    return "".join(out)


class NetMessage(Message):
    """A message between actors of a `Network`; subclass it with typed fields.

    Build replies with `reply_to` (sender and receiver swapped, placed under the message) and
    re-addressed copies with `forward`. `parent` and `forwarded_from` are the message's place
    once sent; they are not part of its hash.
    """

    type_tag: ClassVar[str] = "ramify.net.NetMessage"
    # Position, kept in slots rather than pydantic private attributes: these are read for
    # every delivery, and a slot read costs a tenth of a private-attribute read.
    __slots__ = ("_net_forwarded", "_net_node", "_net_parent", "_net_sent")

    sender: str = ""
    receiver: str = ""

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        _clear_place(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy without a place of its own yet (see `Frozen.model_copy`)."""
        copy = super().model_copy(update=update, deep=deep)
        _clear_place(copy)
        return copy

    @classmethod
    def reply_to(cls, message: Message, /, **fields: Any) -> Self:
        """A reply to `message`: from its receiver, to its sender, placed under it."""
        if "sender" not in fields:
            fields["sender"] = _read(message, "receiver")
        if "receiver" not in fields:
            fields["receiver"] = _read(message, "sender")
        reply = cls(**fields)
        object.__setattr__(reply, "_net_parent", message)
        return reply

    def forward(self, receiver: str, *, sender: str | None = None) -> Self:
        """This message re-addressed to `receiver`, keeping where it came from.

        The copy goes under the message the forwarder is answering, and its node points back
        at this one (`forwarded_from`), as `Session.forward` does.
        """
        copy = self.model_copy(
            update={"receiver": receiver, "sender": self.receiver if sender is None else sender}
        )
        object.__setattr__(copy, "_net_forwarded", self)
        return copy

    @property
    def parent(self) -> Message | None:
        """The message this one answers (its node's parent), once known."""
        return getattr(self, "_net_parent", None)

    @property
    def forwarded_from(self) -> Message | None:
        """The message this one is a forwarded copy of, if any."""
        return getattr(self, "_net_forwarded", None)

    @property
    def node(self) -> str | None:
        """The hash of this message's node, once a recorded network placed it."""
        return getattr(self, "_net_node", None)

    def __str__(self) -> str:
        if self.text:
            return self.text
        # A message without text reads as its data, so a transcript never shows it empty.
        data = {
            name: value
            for name, value in self.hashed_fields().items()
            if name not in ("text", "role", "sender", "receiver") and value not in (None, "")
        }
        inner = ", ".join(f"{name}={value!r}" for name, value in sorted(data.items()))
        return f"{type(self).__name__}({inner})"


class NetError(NetMessage):
    """A delivery that failed: no handler for the type, a handler that raised, no such actor.

    Placed under the message that failed, sent by the actor it was for (or the network) to
    its sender, so the tree shows the failure where it happened.
    """

    type_tag: ClassVar[str] = "ramify.net.NetError"

    role: str | None = "error"
    error_type: str
    error_text: str = ""


class Stopped(NetMessage):
    """Why a network stopped: the reason of the termination condition that fired."""

    type_tag: ClassVar[str] = "ramify.net.Stopped"

    role: str | None = "system"
    reason: str


def _clear_place(message: NetMessage) -> None:
    # Every slot is set at construction: reading an unset slot falls back to pydantic's
    # `__getattr__` and an exception, which cost more than the rest of a delivery.
    set_slot = object.__setattr__
    set_slot(message, "_net_parent", None)
    set_slot(message, "_net_forwarded", None)
    set_slot(message, "_net_node", None)
    set_slot(message, "_net_sent", False)


def closest(message: Message | None, message_type: type[M]) -> M | None:
    """The nearest message of `message_type` among `message` and its ancestors, or None.

    Handy for protocol state: the `Accept` a contractor got says which `CFP` it answers with
    ``closest(accept, CFP)``.
    """
    current: Message | None = message
    while current is not None:
        if isinstance(current, message_type):
            return current
        current = current._net_parent if _is_net(type(current)) else None  # type: ignore[attr-defined]
    return None


# Reads of a name a message lacks go through pydantic's `__getattr__` and an exception
# (~1.5 us, more than building a reply): the user's task, a plain message, has no sender,
# receiver or place, and is the parent of every first call. These are decided once a class.
_MISSING: Any = object()
_IS_NET: dict[type, bool] = {}
_ON_CLASS: dict[tuple[type, str], bool] = {}


def _is_net(cls: type) -> bool:
    known = _IS_NET.get(cls)
    if known is None:
        known = _IS_NET[cls] = issubclass(cls, NetMessage)
    return known


def _read(message: Message, name: str) -> Any:
    """``getattr(message, name, "")``: a field, a class attribute, an extra field, or ""."""
    value = message.__dict__.get(name, _MISSING)
    if value is not _MISSING:
        return value
    cls = type(message)
    on_class = _ON_CLASS.get((cls, name))
    if on_class is None:
        on_class = _ON_CLASS[(cls, name)] = hasattr(cls, name)
    if on_class:
        return getattr(message, name, "")
    extra = message.__pydantic_extra__
    return extra.get(name, "") if extra else ""
