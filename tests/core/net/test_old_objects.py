"""A recorded network run keeps the process's older objects out of the collector's passes."""

from __future__ import annotations

import gc

from ramify.core import USER, MemoryStore, Ramify, Session, UserMessage
from ramify.core.messages import Message
from ramify.core.net import Actor, NetMessage, Network
from ramify.core.net.old_objects import old_objects_held


class _Watcher(Actor):
    """Notes how many objects the collector holds frozen while it handles a message."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.frozen_while_running: int | None = None

    def receive_user_message(self, message: Message) -> NetMessage:
        self.frozen_while_running = gc.get_freeze_count()
        return NetMessage.reply_to(message, receiver=USER, text="seen")


async def test_a_recorded_run_freezes_the_older_objects_and_thaws_them_at_its_end() -> None:
    assert gc.get_freeze_count() == 0
    watcher = _Watcher("watcher")
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage(text="go"), sender=USER)
        replies = session.inquire(Network("net", [watcher]).as_agent())
        await replies.recorded()
    assert watcher.frozen_while_running is not None
    assert watcher.frozen_while_running > 0
    assert gc.get_freeze_count() == 0


async def test_a_run_in_memory_leaves_the_collector_alone() -> None:
    watcher = _Watcher("watcher")
    await Network("net", [watcher]).run(UserMessage(text="go"))
    assert watcher.frozen_while_running == 0


def test_overlapping_holds_thaw_when_the_last_one_ends() -> None:
    with old_objects_held():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with old_objects_held():
            pass
        assert gc.get_freeze_count() >= frozen
    assert gc.get_freeze_count() == 0


def test_objects_someone_else_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with old_objects_held():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_nothing_is_frozen_while_the_collector_is_off() -> None:
    gc.disable()
    try:
        with old_objects_held():
            assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
