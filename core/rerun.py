"""`Session.rerun`: which run produced a node, and running it again beside the original.

The run whose agent wrote the node is rerun: a sub-agent's own call (one expert of a team)
on the input it was given, or, with ``caller=True`` or when that input was not kept, the run
recorded on the node (the whole team). Its replies land as siblings of the originals; see
`recording` for how identical replies make no branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .agents import Agent
from .errors import NotFound
from .recording import RecordedReplies, RunPlan, frozen_kwargs, start_run
from .runs import Run
from .tree import Node

if TYPE_CHECKING:
    from .session import Session

__all__ = ["start_recorded_rerun"]


def start_recorded_rerun(
    session: Session,
    node: Node | str,
    agent: Agent | None,
    *,
    branch: str | None,
    caller: bool,
    errors_as_messages: bool | None,
    kwargs: dict[str, Any],
) -> RecordedReplies:
    """Start the rerun of the run that produced `node` (see `Session.rerun`); returns at once.

    Which run that is, and its agent, are found in the background: the run record's agent
    alias is filled in then.
    """
    if agent is not None:
        frozen_kwargs(agent, kwargs)  # an unfreezable kwarg fails here, at the call site

    async def planned() -> RunPlan:
        return await _plan_rerun(session, node, agent, caller=caller, kwargs=kwargs)

    replies = start_run(
        session,
        agent.alias if agent is not None else "",
        planned,
        branch=branch or "",
        use_cache=False,
        errors_as_messages=errors_as_messages,
    )
    replies.rerun = True
    return replies


async def _plan_rerun(
    session: Session,
    node: Node | str,
    agent: Agent | None,
    *,
    caller: bool,
    kwargs: dict[str, Any],
) -> RunPlan:
    target = await session.resolve(node)
    if target.run_id is None:
        raise NotFound(f"node {target.hash_key[:12]} was not produced by an agent run")
    recorded = await session.get_run(target.run_id)
    runs = await session.runs()
    own = None if caller else _own_run(recorded, target, runs)
    messages = None
    if own is not None:
        found = await session.store.get_messages(own.input_messages)
        if len(found) == len(set(own.input_messages)):
            messages = [found[key] for key in own.input_messages]
        else:
            # Its input did not come along (an imported session keeps the runs, not every
            # message they were given): the run that called it is rerun instead.
            own = None
    if own is None:
        chosen = _rerun_agent(session, recorded, agent)
        if getattr(chosen.target, "answers_one_message", False):
            # A network actor's run answers message after message: the rerun answers the
            # one this node answers, its parent, so the new reply is its sibling.
            input_node = await session.resolve(target.parent) if target.parent else None
        elif recorded.input_node:
            input_node = await session.resolve(recorded.input_node)
        else:
            input_node = None
    else:
        chosen = _rerun_agent(session, own, agent)
        input_node = await session.resolve(target.parent) if target.parent else None
    input_hash = None if input_node is None else input_node.hash_key
    earlier = sum(1 for run in runs if run.agent == chosen.alias and run.input_node == input_hash)
    return RunPlan(
        chosen,
        frozen_kwargs(chosen, kwargs),
        input_node,
        input_messages=messages,
        fresh_branch=True,
        # The first rerun is attempt 1 even when the original was a sub-agent's run, which
        # has no input node of its own.
        attempt=max(earlier, 1) if own is None else earlier + 1,
    )


def _own_run(recorded: Run, target: Node, runs: list[Run]) -> Run | None:
    """The sub-agent run, under `recorded`, whose agent wrote `target` (None: `recorded`'s
    own agent wrote it, or no such sub-run was recorded)."""
    if target.sender == recorded.agent:
        return None
    below = {recorded.id}
    for run in runs:  # oldest first, so a caller comes before the calls it made
        if run.parent_run_id in below:
            below.add(run.id)
            if run.agent == target.sender:
                return run
    return None


def _rerun_agent(session: Session, run: Run, agent: Agent | None) -> Agent:
    if agent is not None:
        return agent
    known = session.known_agent(run.agent)
    if known is None:
        raise NotFound(f"agent {run.agent} is not loaded in this process; pass agent= to rerun it")
    return known
