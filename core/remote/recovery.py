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

from ..runs import Run, RunStatus
from ..tree import Node
from .resync import read_remote_run

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["ResyncReport", "resync_remote_run", "resync_remote_runs"]

_STATUS = {"done": RunStatus.DONE, "error": RunStatus.ERROR, "cancelled": RunStatus.CANCELLED}


async def resync_remote_run(session: Session, run: Run, url: str) -> list[Node]:
    """Record the finished messages of remote `run` the session lacks; return the new nodes."""
    record = await read_remote_run(url, run.id)
    recorded = len(run.output_nodes)
    parent = run.output_nodes[-1] if run.output_nodes else run.input_node
    branch = await _branch_ending_at(session, parent) or await session.free_branch_name(
        f"{run.agent.lower()}-resynced"
    )
    added: list[Node] = []
    for message in record.messages[recorded:]:
        sender = getattr(message, "agent_alias", None) or run.agent
        node = await session.append_under(
            message, parent, branch=branch, sender=sender, run_id=run.id
        )
        if node is None:
            branch = await session.free_branch_name(f"{run.agent.lower()}-resynced")
            node = await session.append_under(
                message, parent, branch=branch, sender=sender, run_id=run.id
            )
        assert node is not None  # a fresh branch name cannot have moved
        added.append(node)
        run.output_nodes.append(node.hash_key)
        parent = node.hash_key
    if record.status is not None and run.status in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
        run.status = _STATUS.get(record.status, RunStatus.ERROR)
        run.error = record.error
    await session.save_run(run)
    return added


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
