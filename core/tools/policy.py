"""Tool policies and breakpoints: when the tool loop runs a call, refuses it, or stops.

A tool's policy is ``allow``, ``ask`` or ``deny``. The default follows its annotations: a
read-only tool is allowed, a destructive or open-world one (every MCP tool without hints) is
asked about, any other is allowed. The agent's ``policies`` (by tool name or glob, from
`agent_with_tools(policies=...)` or the config's ``[tools.NAME] policy``) override the
default, and a session's own choices (an ``allow always`` answer, `InterruptSettings`)
override those. A denied call gets an error result the model reads.

Breakpoints (``before`` or ``after``, a glob over tool names, agent aliases, workflow task
names or all: the breakpoint's ``kind`` is ``tool``, ``agent``, ``task`` or ``any``) stop a
run before a tool call runs, after its result, before a model step of an agent or after one:
the tool loop's steps, and the one step of a plain model agent (`ramify.core.llm.agents`);
before or after a workflow task (`ramify.core.workflow.breakpoints`). A session's breakpoints and
choices are kept in a small JSON file beside the default database
(``interrupts/<session id>.json``), so they survive a restart.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .tool import Tool

__all__ = [
    "Breakpoint",
    "BreakpointKind",
    "InterruptSettings",
    "Point",
    "Policy",
    "default_policy",
    "interrupt_settings",
    "policy_of",
]

Policy = Literal["allow", "ask", "deny"]
Point = Literal["before", "after"]
#: What a breakpoint's glob is matched against: tool names, agent aliases, workflow tasks
#: (``ramify.core.workflow.breakpoints``), or all of them.
BreakpointKind = Literal["tool", "agent", "task", "any"]

POLICIES: tuple[Policy, ...] = ("allow", "ask", "deny")
KINDS: tuple[BreakpointKind, ...] = ("tool", "agent", "task", "any")


def default_policy(tool: Tool) -> Policy:
    """``allow`` for a read-only tool or one without side effects, ``ask`` otherwise."""
    annotations = tool.annotations
    if annotations.read_only or not annotations.has_side_effects:
        return "allow"
    return "ask"


def _matching(patterns: Mapping[str, Policy], name: str) -> Policy | None:
    if name in patterns:
        return patterns[name]
    for pattern, policy in patterns.items():
        if fnmatch.fnmatchcase(name, pattern):
            return policy
    return None


def policy_of(
    tool: Tool | None,
    name: str,
    policies: Mapping[str, Policy],
    chosen: Mapping[str, Policy] | None = None,
) -> Policy:
    """The policy of the tool `name`: the session's choice, else `policies` (an exact name
    before a glob), else its default (an unknown tool is allowed: its call fails anyway)."""
    for source in (chosen or {}, policies):
        found = _matching(source, name)
        if found is not None:
            return found
    return "allow" if tool is None else default_policy(tool)


@dataclass(frozen=True)
class Breakpoint:
    """Stop ``before`` or ``after`` each tool or agent whose name matches `pattern` (a glob);
    `kind` ``tool`` or ``agent`` limits it to one of them."""

    point: Point
    pattern: str
    kind: BreakpointKind = "any"

    def matches(self, point: Point, name: str, kind: BreakpointKind = "any") -> bool:
        """Whether this breakpoint stops at `point` of `name`, a `kind` (``tool`` or ``agent``;
        ``any``: whichever this breakpoint is for)."""
        if self.kind != "any" and kind != "any" and self.kind != kind:
            return False
        return self.point == point and fnmatch.fnmatchcase(name, self.pattern)

    def describe(self) -> str:
        """``before calc*``, ``after agent gpt-*``: how the IDE and its prompt spell it."""
        kind = "" if self.kind == "any" else f"{self.kind} "
        return f"{self.point} {kind}{self.pattern}"


def _kind(value: str) -> BreakpointKind:
    for kind in KINDS:
        if value == kind:
            return kind
    raise ValueError(f"a breakpoint is for a tool, an agent, a task or any, not {value!r}")


def _settings_dir() -> Path:
    from ..store.location import default_database_path

    return default_database_path().parent / "interrupts"


class InterruptSettings:
    """A session's breakpoints and its own tool policies, kept in a JSON file so they survive
    a restart. Each change is written at once (the file is replaced, never half-written)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.breakpoints: list[Breakpoint] = []
        self.policies: dict[str, Policy] = {}
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # Missing is the normal start; a damaged file reads as no settings, not an error.
            return
        if not isinstance(data, dict):
            return
        for item in data.get("breakpoints", []):
            # [point, pattern] (any kind, the first format) or [point, pattern, kind].
            if not isinstance(item, list) or len(item) not in (2, 3):
                continue
            kind = item[2] if len(item) == 3 else "any"
            if item[0] in ("before", "after") and kind in KINDS:
                self.breakpoints.append(Breakpoint(item[0], str(item[1]), _kind(kind)))
        for name, policy in dict(data.get("policies", {})).items():
            if policy in POLICIES:
                self.policies[str(name)] = policy

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "breakpoints": [
                [item.point, item.pattern, *(() if item.kind == "any" else (item.kind,))]
                for item in self.breakpoints
            ],
            "policies": self.policies,
        }
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(partial, self.path)

    def add_breakpoint(self, point: str, pattern: str, kind: str = "any") -> Breakpoint:
        """Stop `point` (``before`` or ``after``) tools and agents matching `pattern`; `kind`
        ``tool`` or ``agent`` stops only those (``any``: both)."""
        if point not in ("before", "after"):
            raise ValueError(f"a breakpoint is before or after, not {point!r}")
        if not pattern.strip():
            raise ValueError("a breakpoint needs a tool or agent name (a glob like 'calc*')")
        added = Breakpoint("before" if point == "before" else "after", pattern.strip(), _kind(kind))
        if added not in self.breakpoints:
            self.breakpoints.append(added)
            self._save()
        return added

    def remove_breakpoint(self, point: str, pattern: str, kind: str = "any") -> bool:
        """Remove a breakpoint; False when there was none such."""
        for item in self.breakpoints:
            if (item.point, item.pattern, item.kind) == (point, pattern, kind):
                self.breakpoints.remove(item)
                self._save()
                return True
        return False

    def set_policy(self, name: str, policy: str) -> None:
        """This session's policy for the tool `name` (or a glob), over the agent's."""
        if policy not in POLICIES:
            raise ValueError(f"a tool policy is allow, ask or deny, not {policy!r}")
        self.policies[name] = "allow" if policy == "allow" else "ask" if policy == "ask" else "deny"
        self._save()

    def stops(self, point: Point, name: str, kind: BreakpointKind = "any") -> bool:
        """Whether a breakpoint stops at `point` of `name`, a tool or an agent (`kind`)."""
        return any(item.matches(point, name, kind) for item in self.breakpoints)


def interrupt_settings(session: Any) -> InterruptSettings:
    """The breakpoints and tool policies of `session`, read from its file now."""
    name = "".join(char for char in str(session.id) if char.isalnum() or char in "-_")
    return InterruptSettings(_settings_dir() / f"{name}.json")
