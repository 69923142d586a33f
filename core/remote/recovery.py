"""`resync_remote_runs`: after a restart, a session takes in what its remote runs finished.

A caller that stopped mid-run (the IDE closed or crashed) left the run "running" and then
`mark_interrupted_runs` made it "interrupted". The worker went on and put every finished
message in JetStream. Resyncing writes the ones the session lacks as the run's nodes, under
its input and after the replies it did record, and sets the run's status from the worker's
end record. Nodes are content-addressed, so resyncing twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..messages import Message
from ..runs import Run, RunStatus
from ..tree import Node
from .resync import read_remote_run

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["ResyncReport", "RunWriter", "resync_remote_run", "resync_remote_runs"]

_STATUS = {"done": RunStatus.DONE, "error": RunStatus.ERROR, "cancelled": RunStatus.CANCELLED}


async def resync_remote_run(session: Session, run: Run, url: str) -> list[Node]:
    """Record the finished messages of remote `run` the session lacks; return the new nodes."""
    record = await read_remote_run(url, run.id)
    writer = await RunWriter.open(session, run)
    added = [await writer.add(message) for message in record.messages[len(run.output_nodes) :]]
    if record.status is not None:
        writer.end(record.status, record.error)
    await session.save_run(run)
    return added


class RunWriter:
    """Appends a remote run's messages after the replies it recorded, as the run's nodes."""

    def __init__(self, session: Session, run: Run, parent: str | None, branch: str) -> None:
        self.session = session
        self.run = run
        self.parent = parent
        self.branch = branch

    @classmethod
    async def open(cls, session: Session, run: Run) -> RunWriter:
        """Under the run's last reply (or its input), on the branch ending there or a new one."""
        parent = run.output_nodes[-1] if run.output_nodes else run.input_node
        branch = await _branch_ending_at(session, parent) or await session.free_branch_name(
            f"{run.agent.lower()}-resynced"
        )
        return cls(session, run, parent, branch)

    async def add(self, message: Message) -> Node:
        run = self.run
        sender = getattr(message, "agent_alias", None) or run.agent
        node = await self.session.append_under(
            message, self.parent, branch=self.branch, sender=sender, run_id=run.id
        )
        if node is None:  # someone moved the branch meanwhile: go on beside it
            self.branch = await self.session.free_branch_name(f"{run.agent.lower()}-resynced")
            node = await self.session.append_under(
                message, self.parent, branch=self.branch, sender=sender, run_id=run.id
            )
        assert node is not None  # a fresh branch name cannot have moved
        run.output_nodes.append(node.hash_key)
        self.parent = node.hash_key
        return node

    def end(self, status: str, error: str | None) -> None:
        """Take the worker's end record as the run's status (unless the run already ended)."""
        if self.run.status in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
            self.run.status = _STATUS.get(status, RunStatus.ERROR)
            self.run.error = error


@dataclass
class ResyncReport:
    """What `resync_remote_runs` did.

    Attributes:
        added: the nodes written, in order.
        running: the remote runs whose worker has not ended them yet (resynced up to now;
            resync again later for the rest).
    """

    added: list[Node] = field(default_factory=list)
    running: list[Run] = field(default_factory=list)


async def resync_remote_runs(
    session: Session, url_for: Callable[[str], str | None]
) -> ResyncReport:
    """Resync every interrupted run of this session whose agent `url_for(alias)` says is remote."""
    report = ResyncReport()
    for run in await session.runs():
        if run.status is not RunStatus.INTERRUPTED:
            continue
        url = url_for(run.agent)
        if url is not None:
            report.added.extend(await resync_remote_run(session, run, url))
            if run.status is RunStatus.INTERRUPTED:
                report.running.append(run)
    return report


async def _branch_ending_at(session: Session, head: str | None) -> str | None:
    if head is None:
        return None
    for ref in await session.branches():
        if ref.head == head:
            return ref.name
    return None
