"""Interrupts: where a run stops for a person, and the answer that lets it go on.

An approval (a call whose tool's policy is ``ask``) or a breakpoint hit (in the tool loop, or
before or after a plain model agent's one step) is replied as an `InterruptMessage` node, and
the run ends there with status ``waiting``. Nothing else is kept in memory, so a waiting run
survives the process: `pending_interrupts` finds the unanswered interrupt nodes of a session,
and `answer_interrupt` appends an `InterruptAnswer` under one and runs the agent again from
the answer. The agent reads the answer from its history and goes on from what is recorded
(the tool loop from the assistant message and its calls; a plain model agent past a breakpoint
after its reply ends at once): the model is not asked again for what it already said.
Answering the same interrupt again differently appends a sibling answer, on a new branch.
A workflow task's breakpoint is the same `InterruptMessage` (its key starts ``task ``),
listed here too; it is answered with `ramify.core.workflow.answer_task_breakpoint`, which
continues the workflow run rather than an agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..messages import Message
from .messages import ToolCall

if TYPE_CHECKING:
    from ..recording import RecordedReplies

__all__ = [
    "INTERRUPT_ROLE",
    "Decision",
    "InterruptAnswer",
    "InterruptMessage",
    "answer_interrupt",
    "pending_interrupt",
    "pending_interrupts",
]

#: The ``role`` of interrupts and answers: control flow, never sent to a model.
INTERRUPT_ROLE = "interrupt"

#: How an interrupt is answered: an approval with ``allow_once``, ``allow_always`` (the tool's
#: policy becomes ``allow`` in this session) or ``reject``; a breakpoint with ``continue``.
Decision = Literal["allow_once", "allow_always", "reject", "continue"]

_APPROVAL_DECISIONS = ("allow_once", "allow_always", "reject")

#: How the key of a workflow task's breakpoint starts (``task before WF/STATE/TASK``).
TASK_KEY_PREFIX = "task "


class InterruptMessage(Message):
    """A run stopped for a person: an approval of tool calls, or a breakpoint hit.

    ``key`` names the point in the run (an answer carries the same key); ``point`` is
    ``before`` or ``after`` and ``target`` the tool or agent name; ``calls`` the calls it
    concerns, their arguments as the model wrote them; ``pending`` the text a breakpoint's
    edit replaces (arguments before a tool, the result after one, the last message before a
    model step).
    """

    type_tag: ClassVar[str] = "ramify.InterruptMessage"

    role: str | None = INTERRUPT_ROLE
    kind: Literal["approval", "breakpoint"]
    key: str
    point: Literal["before", "after"] = "before"
    target: str = ""
    calls: tuple[ToolCall, ...] = ()
    pending: str | None = None

    def covers(self, call_id: str) -> bool:
        """Whether this interrupt holds the call `call_id` (for a tool call's status line)."""
        return any(call.id == call_id for call in self.calls)

    @property
    def editable(self) -> bool:
        """Whether a breakpoint's answer may replace `pending`."""
        return self.kind == "breakpoint" and self.pending is not None


class InterruptAnswer(Message):
    """A person's answer to the `InterruptMessage` above it (``edited``: the replaced text)."""

    type_tag: ClassVar[str] = "ramify.InterruptAnswer"

    role: str | None = INTERRUPT_ROLE
    key: str
    decision: Decision
    edited: str | None = None


def _summary(decision: Decision, edited: str | None) -> str:
    words = {
        "allow_once": "allowed once",
        "allow_always": "allowed always",
        "reject": "rejected",
        "continue": "continued",
    }[decision]
    return f"{words} (edited)" if edited is not None else words


async def _settle_waiting_run(session: Any, run_id: str | None) -> None:
    """The run that stopped at an answered interrupt is done waiting (it ended there; the
    answer goes on in a run of its own)."""
    from ..errors import RunNotFound
    from ..runs import RunStatus

    if run_id is None:
        return
    try:
        run = await session.get_run(run_id)
    except RunNotFound:
        return
    if run.status is RunStatus.WAITING:
        run.status = RunStatus.DONE
        await session.save_run(run)


async def pending_interrupts(session: Any) -> list[tuple[str, InterruptMessage]]:
    """The unanswered interrupts of `session`, oldest first, as (node hash, interrupt).

    Read from the runs marked waiting (a run stops at most at one interrupt, its last reply),
    not from every node, so it stays cheap in a large session; an interrupt whose answer is
    in the tree is left out even when its run was not settled (a crash in between).
    """
    from ..errors import NotFound
    from ..runs import RunStatus

    found: list[tuple[str, InterruptMessage]] = []
    for run in await session.runs():
        if run.status is not RunStatus.WAITING or not run.output_nodes:
            continue
        node = run.output_nodes[-1]
        try:
            message = await session.message(node)
            if not isinstance(message, InterruptMessage):
                continue
            answers = await session.messages(await session.children(node))
        except NotFound:
            continue
        if not any(isinstance(answer, InterruptAnswer) for answer in answers):
            found.append((node, message))
    return found


async def pending_interrupt(session: Any, call_id: str) -> tuple[str, InterruptMessage] | None:
    """The unanswered interrupt holding the tool call `call_id`, if the call waits on one."""
    for found in await pending_interrupts(session):
        if found[1].covers(call_id):
            return found
    return None


async def answer_interrupt(
    session: Any,
    node: str,
    decision: Decision,
    agent: Any,
    *,
    edited: str | None = None,
    **kwargs: Any,
) -> RecordedReplies:
    """Answer the interrupt at `node` and run `agent` (the agent that stopped) on from it.

    The answer becomes a child of the interrupt node; another answer there already makes this
    one a sibling on a new branch (``answer-N``). Returns the replies as `Session.inquire`
    does. Raises `ValueError` with what to do for a node that is not an interrupt or a
    decision that does not fit it.
    """
    message = await session.message(node)
    if not isinstance(message, InterruptMessage):
        raise ValueError(f"node {node[:12]} is not an interrupt; pick one from pending_interrupts")
    if message.key.startswith(TASK_KEY_PREFIX):
        raise ValueError(
            "a workflow task's breakpoint: answer it with answer_task_breakpoint(session, "
            "workflow, node) (w in the IDE)"
        )
    if message.kind == "approval" and decision not in _APPROVAL_DECISIONS:
        raise ValueError("an approval is answered allow_once, allow_always or reject")
    if message.kind == "breakpoint" and decision != "continue":
        raise ValueError("a breakpoint is answered continue (with an edit or without)")
    if edited is not None and not message.editable:
        raise ValueError("nothing to edit at this interrupt; continue without an edit")
    if decision == "allow_always":
        from .policy import interrupt_settings

        settings = interrupt_settings(session)
        for call in message.calls:
            settings.set_policy(call.name, "allow")
    answer = InterruptAnswer(
        text=_summary(decision, edited), key=message.key, decision=decision, edited=edited
    )
    resolved = await session.resolve(node)
    heads = [ref.name for ref in await session.branches() if ref.head == resolved.hash_key]
    branch = session.active_branch if session.active_branch in heads else next(iter(heads), None)
    if branch is None:
        # Answered before: the new answer is a sibling of the old one, on a branch of its own.
        branch = await session.free_branch_name("answer")
        await session.fork(resolved, branch)
    await session.append(answer, branch=branch)
    await _settle_waiting_run(session, resolved.run_id)
    return session.inquire(agent, branch, cache=False, **kwargs)  # type: ignore[no-any-return]
