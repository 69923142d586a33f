"""A FIPA contract net, flat and nested: the manager calls for proposals, contractors propose,
the manager accepts the cheapest and rejects the rest, and the winner informs.

    python examples/networks/contract_net.py "Paint the fence"
    ramify examples/networks/contract_net.py:network          # in the IDE

`network` is flat: a manager and three contractors. `nested_network` adds a subcontracting
firm, itself a network (a lead and two subcontractors) that runs its own contract net before
it proposes. Offline and deterministic: prices come from each contractor's name and the round
(and the attempt, so rerunning one proposal in the IDE gives another price beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from typing import ClassVar

from ramify.core import InteractionContext, Message
from ramify.core.net import Actor, NetMessage, Network, closest
from ramify.core.promising import NoActiveContextError
from ramify.core.tree import USER


class CFP(NetMessage):
    """A call for proposals."""

    type_tag: ClassVar[str] = "examples.contract_net.CFP"
    task: str
    round: int = 0


class Propose(NetMessage):
    type_tag: ClassVar[str] = "examples.contract_net.Propose"
    price: int


class Accept(NetMessage):
    type_tag: ClassVar[str] = "examples.contract_net.Accept"


class Reject(NetMessage):
    type_tag: ClassVar[str] = "examples.contract_net.Reject"


class Inform(NetMessage):
    type_tag: ClassVar[str] = "examples.contract_net.Inform"
    result: str


def _attempt() -> int:
    try:
        return InteractionContext.current().attempt
    except NoActiveContextError:
        return 0


def quote(name: str, round_: int) -> int:
    """A contractor's stable price for a round (10..59)."""
    digest = hashlib.sha256(f"{name}:{round_}".encode()).digest()
    return 10 + digest[0] % 50


class Contractor(Actor):
    """Proposes a price for every call; does the work when accepted."""

    def receive_cfp(self, cfp: CFP) -> Propose:
        price = quote(self.name, cfp.round) + 7 * _attempt()
        return Propose.reply_to(cfp, price=price, text=f"{self.name}: {price} for {cfp.task!r}")

    def receive_accept(self, accept: Accept) -> Inform:
        cfp = closest(accept, CFP)
        task = cfp.task if cfp else "the task"
        return Inform.reply_to(accept, result=f"{task}: done", text=f"{self.name} did {task!r}")

    def receive_reject(self, reject: Reject) -> None:
        return None


class Manager(Actor):
    """Calls for proposals from every actor that can take one, awards the cheapest.

    Args:
        rounds: how many times to run the whole protocol on one task.
    """

    def __init__(self, name: str = "manager", rounds: int = 1) -> None:
        super().__init__(name)
        self.rounds = rounds
        self.task: Message | None = None
        self.waiting: dict[int, int] = {}
        self.proposals: dict[int, list[Propose]] = {}

    def contractors(self) -> list[Actor]:
        return [actor for actor in self.directory.receivers(CFP) if actor is not self]

    def call(self, task: Message, round_: int) -> list[CFP]:
        contractors = self.contractors()
        self.waiting[round_] = len(contractors)
        self.proposals[round_] = []
        return [
            CFP.reply_to(
                task,
                sender=self.name,
                receiver=actor.name,
                task=task.text,
                round=round_,
                text=f"call for proposals: {task.text} (to {actor.name})",
            )
            for actor in contractors
        ]

    def receive_message(self, task: Message) -> list[CFP]:
        """The task from the user: the first round of calls."""
        self.task = task
        return self.call(task, 0)

    def receive_propose(self, proposal: Propose) -> list[NetMessage]:
        cfp = closest(proposal, CFP)
        round_ = cfp.round if cfp else 0
        got = self.proposals.setdefault(round_, [])
        got.append(proposal)
        if len(got) < self.waiting.get(round_, 0):
            return []
        best = min(got, key=lambda p: p.price)
        awards: list[NetMessage] = [Accept.reply_to(best, text=f"accepted at {best.price}")]
        awards += [Reject.reply_to(p, text="rejected") for p in got if p is not best]
        return awards

    def receive_inform(self, inform: Inform) -> list[NetMessage]:
        cfp = closest(inform, CFP)
        round_ = cfp.round if cfp else 0
        if round_ + 1 < self.rounds and self.task is not None:
            return list(self.call(self.task, round_ + 1))
        return [NetMessage.reply_to(inform, receiver=USER, text=f"Done: {inform.result}")]


class FirmLead(Actor):
    """The entry of a subcontracting firm: runs its own contract net, then proposes outside."""

    def __init__(self, name: str = "firm_lead", margin: int = 5) -> None:
        super().__init__(name)
        self.margin = margin
        self.calls: dict[str, CFP] = {}
        self.proposals: dict[str, list[Propose]] = {}

    def subcontractors(self) -> list[Actor]:
        return [actor for actor in self.directory.receivers(CFP) if actor is not self]

    def receive_cfp(self, cfp: CFP) -> list[CFP]:
        subs = self.subcontractors()
        self.calls[cfp.hash_key] = cfp
        self.proposals[cfp.hash_key] = []
        return [
            CFP.reply_to(
                cfp,
                sender=self.name,
                receiver=sub.name,
                task=cfp.task,
                round=cfp.round,
                text=f"subcontract: {cfp.task} (to {sub.name})",
            )
            for sub in subs
        ]

    def _outer_call(self, message: Message) -> CFP | None:
        # The outer CFP is the farthest CFP up the line (inner calls answer it).
        found = None
        current: Message | None = message
        while current is not None:
            if isinstance(current, CFP) and current.hash_key in self.calls:
                found = current
            current = getattr(current, "parent", None)
        return found

    def receive_propose(self, proposal: Propose) -> Propose | None:
        outer = self._outer_call(proposal)
        if outer is None:
            return None
        got = self.proposals[outer.hash_key]
        got.append(proposal)
        if len(got) < len(self.subcontractors()):
            return None
        best = min(got, key=lambda p: p.price)
        price = best.price + self.margin
        return Propose.reply_to(outer, price=price, text=f"{outer.receiver}: {price} (firm)")

    def _best(self, outer: CFP) -> tuple[Propose, list[Propose]]:
        got = self.proposals[outer.hash_key]
        best = min(got, key=lambda p: p.price)
        return best, [p for p in got if p is not best]

    def receive_accept(self, accept: Accept) -> list[NetMessage]:
        outer = closest(accept, CFP)
        if outer is None or outer.hash_key not in self.calls:
            return []
        self.accepted = accept
        best, others = self._best(outer)
        return [Accept.reply_to(best, sender=self.name, text="subcontract accepted")] + [
            Reject.reply_to(p, sender=self.name, text="rejected") for p in others
        ]

    def receive_reject(self, reject: Reject) -> list[NetMessage]:
        outer = closest(reject, CFP)
        if outer is None or outer.hash_key not in self.calls:
            return []
        got = self.proposals[outer.hash_key]
        return [Reject.reply_to(p, sender=self.name, text="rejected") for p in got]

    def receive_inform(self, inform: Inform) -> Inform:
        accept = self.accepted
        return Inform.reply_to(accept, result=inform.result, text=f"firm: {inform.result}")


def flat(rounds: int = 1, contractors: int = 3) -> Network:
    """A manager and `contractors` contractors."""
    actors: list[Actor] = [Manager(rounds=rounds)]
    actors += [Contractor(f"contractor_{i + 1}") for i in range(contractors)]
    return Network("contract_net", actors)


def nested() -> Network:
    """A manager, two contractors and a firm that is a contract net of its own."""
    firm = Network(
        "firm", [FirmLead(margin=1), Contractor("painter"), Contractor("mason")], entry="firm_lead"
    )
    return Network(
        "nested_contract_net",
        [Manager(), Contractor("contractor_1"), Contractor("contractor_2"), firm],
    )


network = flat()
nested_network = nested()


async def _main(task: str, use_nested: bool) -> None:
    net = nested() if use_nested else flat()
    result = await net.run(task)
    for message in result.messages:
        print(f"{message.sender} -> {message.receiver}: {message}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", nargs="?", default="Paint the fence")
    parser.add_argument("--nested", action="store_true", help="with a subcontracting firm")
    arguments = parser.parse_args()
    asyncio.run(_main(arguments.task, arguments.nested))
