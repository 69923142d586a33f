"""The checkpoints of a model agent's run: which tool calls run, which are refused, and where
the run stops for a person (see `interrupts.py` for the nodes, `policy.py` for the rules).

The tool loop asks its `Gate` at every step; a plain model agent (`ramify.core.llm.agents`,
one model step, no tools) asks `model_step_gate` before and after its one step. Every answer
either needs is in its history (an `InterruptAnswer` under the interrupt it answers, matched
by key), so a run started again from an answer node takes the same way up to that point and
goes past it, with no state kept between processes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..llm.roles import tool_calls_of
from ..messages import Message
from .interrupts import INTERRUPT_ROLE, InterruptAnswer, InterruptMessage
from .messages import TOOL_ROLE, ToolCall, ToolResultMessage
from .policy import BreakpointKind, InterruptSettings, Policy, interrupt_settings, policy_of
from .tool import Tool

__all__ = ["CallPlan", "Gate", "model_step_gate"]


def _refused(call: ToolCall, why: str) -> ToolResultMessage:
    return ToolResultMessage(text=f"Error: {why}", call_id=call.id, name=call.name, is_error=True)


class CallPlan:
    """What to do with the unanswered calls of one step: stop, or run some and refuse others."""

    def __init__(self) -> None:
        self.stop: InterruptMessage | None = None
        self.run: list[ToolCall] = []
        self.refused: dict[str, ToolResultMessage] = {}


class Gate:
    """Policies, breakpoints and the answers given so far, for one run of the tool loop."""

    def __init__(
        self,
        tools: Mapping[str, Tool],
        policies: Mapping[str, Policy],
        settings: InterruptSettings | None,
        history: Sequence[Message],
    ) -> None:
        self._tools = tools
        self._policies = policies
        self._settings = settings
        self._answers = {
            message.key: message for message in history if isinstance(message, InterruptAnswer)
        }
        #: Whether this run starts from an answer (it goes on from there, it does not restart).
        self.resumed = bool(history) and isinstance(history[-1], InterruptAnswer)

    def _stops(self, point: str, name: str, kind: BreakpointKind) -> bool:
        return self._settings is not None and self._settings.stops(
            "before" if point == "before" else "after", name, kind
        )

    def plan_calls(self, calls: Sequence[ToolCall]) -> CallPlan:
        """Apply policies, approvals and before-tool breakpoints to `calls`, in call order."""
        plan = CallPlan()
        chosen = None if self._settings is None else self._settings.policies
        policies = {
            call.id: policy_of(self._tools.get(call.name), call.name, self._policies, chosen)
            for call in calls
        }
        asking = [call for call in calls if policies[call.id] == "ask"]
        approval: InterruptAnswer | None = None
        if asking:
            key = "approve:" + ",".join(call.id for call in asking)
            approval = self._answers.get(key)
            if approval is None:
                names = ", ".join(dict.fromkeys(call.name for call in asking))
                plan.stop = InterruptMessage(
                    text=f"⏸ waiting for approval: {names}",
                    kind="approval",
                    key=key,
                    target=names,
                    calls=tuple(asking),
                )
                return plan
        for call in calls:
            if policies[call.id] == "deny":
                plan.refused[call.id] = _refused(call, f"the tool {call.name} is denied by policy")
            elif policies[call.id] == "ask" and approval and approval.decision == "reject":
                plan.refused[call.id] = _refused(call, "the user rejected this call")
            else:
                plan.run.append(call)
        for index, call in enumerate(plan.run):
            if not self._stops("before", call.name, "tool"):
                continue
            key = f"before-tool:{call.id}"
            answer = self._answers.get(key)
            if answer is None:
                plan.stop = InterruptMessage(
                    text=f"⏸ waiting at a breakpoint before {call.name}",
                    kind="breakpoint",
                    key=key,
                    target=call.name,
                    calls=(call,),
                    pending=call.arguments,
                )
                return plan
            if answer.edited is not None:
                plan.run[index] = ToolCall(id=call.id, name=call.name, arguments=answer.edited)
        return plan

    def after_tools(self, history: Sequence[Message]) -> InterruptMessage | None:
        """A breakpoint after a call of the last step whose result is in, not yet answered."""
        asking = next((item for item in reversed(history) if tool_calls_of(item)), None)
        if asking is None:
            return None
        results = {
            message.call_id: message
            for message in history
            if isinstance(message, ToolResultMessage)
        }
        for call in tool_calls_of(asking):
            key = f"after-tool:{call.id}"
            if (
                call.id in results
                and self._stops("after", call.name, "tool")
                and key not in self._answers
            ):
                return InterruptMessage(
                    text=f"⏸ waiting at a breakpoint after {call.name}",
                    kind="breakpoint",
                    key=key,
                    point="after",
                    target=call.name,
                    calls=(ToolCall(id=call.id, name=call.name, arguments=call.arguments),),
                    pending=results[call.id].text,
                )
        return None

    def before_model(self, alias: str, history: Sequence[Message]) -> InterruptMessage | None:
        """A breakpoint before `alias` asks the model, not yet answered (keyed by the last
        message as recorded, not as an edit changed it)."""
        if not self._stops("before", alias, "agent"):
            return None
        last = next((item for item in reversed(history) if item.role != INTERRUPT_ROLE), None)
        key = f"before-agent:{last.hash_key if last is not None else ''}"
        if key in self._answers:
            return None
        return InterruptMessage(
            text=f"⏸ waiting at a breakpoint before {alias}",
            kind="breakpoint",
            key=key,
            target=alias,
            pending=None if last is None else last.text,
        )

    def after_model(self, alias: str, message: Message) -> InterruptMessage | None:
        """A breakpoint after `alias`'s model step, not yet answered."""
        if not self._stops("after", alias, "agent"):
            return None
        key = f"after-agent:{message.hash_key}"
        if key in self._answers:
            return None
        return InterruptMessage(
            text=f"⏸ waiting at a breakpoint after {alias}",
            kind="breakpoint",
            key=key,
            point="after",
            target=alias,
        )

    def answered_after_model(self, alias: str, history: Sequence[Message]) -> bool:
        """Whether this run starts from the answer to a breakpoint after `alias`'s last reply:
        that reply is recorded, so a plain model agent has nothing left to do."""
        last = history[-1] if self.resumed else None
        if not isinstance(last, InterruptAnswer) or not last.key.startswith("after-agent:"):
            return False
        return any(
            isinstance(message, InterruptMessage)
            and message.key == last.key
            and message.target == alias
            for message in reversed(history)
        )

    def model_view(self, history: Sequence[Message]) -> list[Message]:
        """`history` as the model reads it: no interrupts, and the edits answers made."""
        edits = {
            key: answer.edited for key, answer in self._answers.items() if answer.edited is not None
        }
        seen: list[Message] = []
        for message in history:
            if message.role == INTERRUPT_ROLE:
                continue
            edited = edits.get(f"before-agent:{message.hash_key}")
            if message.role == TOOL_ROLE and isinstance(message, ToolResultMessage):
                edited = edits.get(f"after-tool:{message.call_id}", edited)
            seen.append(message if edited is None else message.model_copy(update={"text": edited}))
        return seen


def model_step_gate(session: Any, history: Sequence[Message]) -> Gate:
    """The gate of a plain model agent's one step in `session`: its breakpoints (no tools, so
    no policies) and the answers in `history`, the agent's input."""
    return Gate({}, {}, interrupt_settings(session), history)
