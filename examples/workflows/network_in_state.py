"""An agent network inside a workflow state, offline: a hiring panel decides, a task writes.

Workflow "hiring", state "decide" (final): `brief` -> `panel` -> `letter`, where `panel` is a
`Network` of three actors as one task. The brief becomes the panel's first message (`ask`);
alice and bob each add their vote, and the chair sends a `Decision` out of the network (to
the user). That last message that left the network is read into the task's output model
`Verdict` (by its fields), which `letter` takes. The panel's messages are nodes under the
brief, sent by their actors; the actors' runs are child runs of `panel`'s run, and the
conversation has its own branch (``workflow-hiring-1/panel-1``).

    python examples/workflows/network_in_state.py Ada 5
    ramify run examples/workflows/network_in_state.py:hiring --input '{"name": "Ada", "years": 5}'
"""

from __future__ import annotations

import asyncio
import sys
from typing import ClassVar

from pydantic import BaseModel

from ramify.core.net import Actor, MaxMessages, NetMessage, Network
from ramify.core.tree import USER
from ramify.core.workflow import Workflow, WorkflowResult, run_workflow


class Applicant(BaseModel):
    name: str
    years: int


class Brief(BaseModel):
    candidate: str
    years: int
    summary: str


class Verdict(BaseModel):
    candidate: str
    hire: bool
    votes: int


class Letter(BaseModel):
    letter: str


class Candidate(NetMessage):
    type_tag: ClassVar[str] = "examples.hiring.Candidate"
    candidate: str
    years: int


class Vote(NetMessage):
    type_tag: ClassVar[str] = "examples.hiring.Vote"
    candidate: str
    ayes: int
    voters: int


class Decision(NetMessage):
    type_tag: ClassVar[str] = "examples.hiring.Decision"
    candidate: str
    hire: bool
    votes: int


class Reviewer(Actor):
    """Votes yes when the candidate has at least `bar` years, then passes the tally on."""

    def __init__(self, name: str, bar: int, next_voter: str) -> None:
        super().__init__(name)
        self.bar = bar
        self.next_voter = next_voter

    def _vote(
        self, message: NetMessage, candidate: str, years: int, ayes: int, voters: int
    ) -> Vote:
        aye = years >= self.bar
        return Vote.reply_to(
            message,
            receiver=self.next_voter,
            candidate=candidate,
            ayes=ayes + aye,
            voters=voters + 1,
            text=f"{self.name}: {'yes' if aye else 'no'} to {candidate} ({years} years)",
        )

    def receive_candidate(self, message: Candidate) -> Vote:
        return self._vote(message, message.candidate, message.years, 0, 0)

    def receive_vote(self, message: Vote) -> Vote:
        years = message.parent.years if isinstance(message.parent, Candidate) else 0
        return self._vote(message, message.candidate, years, message.ayes, message.voters)


class Chair(Actor):
    """Hires on a majority of the votes; the decision leaves the network, to the user."""

    def receive_vote(self, vote: Vote) -> Decision:
        hire = vote.ayes * 2 > vote.voters
        return Decision.reply_to(
            vote,
            receiver=USER,
            candidate=vote.candidate,
            hire=hire,
            votes=vote.ayes,
            text=f"chair: {'hire' if hire else 'do not hire'} {vote.candidate}",
        )


def panel() -> Network:
    return Network(
        "panel",
        [Reviewer("alice", 3, "bob"), Reviewer("bob", 4, "chair"), Chair("chair")],
        stop=MaxMessages(20),
    )


def build() -> Workflow:
    wf = Workflow("hiring")
    decide = wf.state("decide", final=True)

    @decide.task()
    def brief(applicant: Applicant) -> Brief:
        return Brief(
            candidate=applicant.name,
            years=applicant.years,
            summary=f"{applicant.name}, {applicant.years} years of experience",
        )

    vote = decide.network(
        panel(),
        input=Brief,
        output=Verdict,
        ask=lambda b: Candidate(
            text=b.summary, sender=USER, receiver="alice", candidate=b.candidate, years=b.years
        ),
    )

    @decide.task()
    def letter(verdict: Verdict) -> Letter:
        if verdict.hire:
            return Letter(
                letter=f"Dear {verdict.candidate}, welcome aboard ({verdict.votes} votes)."
            )
        return Letter(letter=f"Dear {verdict.candidate}, thank you for applying.")

    brief >> vote >> letter  # type: ignore[operator]
    return wf


# What `ramify run examples/workflows/network_in_state.py:hiring --input JSON` runs.
hiring = build()


async def main(name: str, years: int) -> WorkflowResult:
    result = await run_workflow(build(), Applicant(name=name, years=years))
    print(result.result["letter"])
    return result


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0] if args else "Ada", int(args[1]) if len(args) > 1 else 5))
