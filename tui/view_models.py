"""Plain, frozen view models the widgets render, and the pure tree-to-runs grouping.

Widgets never see the store or `Session`: a controller turns core objects into these records. They
import nothing from Textual, so they can be built and tested without an app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from enum import StrEnum

_MARKDOWN_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Emphasis only between non-word characters, so `2*3*4` and `snake_case` keep their marks.
_MARKDOWN_EMPHASIS = re.compile(
    r"(?<![\w*_~`])(\*{1,3}|_{1,3}|~~|`+)(?=\S)(.+?)(?<=\S)\1(?![\w*_~`])"
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def label_text(text: str) -> str:
    """A message as a one-line label: Markdown syntax dropped (`## Title **x**` -> `Title x`).

    Headings, quotes, list markers, fences, emphasis, links and HTML tags go; the words stay.
    """
    lines = []
    for line in text.splitlines():
        if _FENCE.match(line):
            continue
        line = _MARKDOWN_LINE.sub("", line)
        line = _MARKDOWN_LINK.sub(r"\1", line)
        line = _MARKDOWN_EMPHASIS.sub(r"\2", line)
        line = _HTML_TAG.sub("", line)
        lines.append(line)
    return " ".join(" ".join(lines).split())


def slug(text: str, words: int = 4, limit: int = 32) -> str:
    """A branch name from a text's first words: `Tell me about rerun!` -> `tell-me-about-rerun`."""
    found = re.findall(r"[^\W_]+", label_text(text).lower())[:words]
    return "-".join(found)[:limit].strip("-")


class MessageStatus(StrEnum):
    """Lifecycle of one message as the UI shows it."""

    DONE = "done"
    STREAMING = "streaming"
    ERROR = "error"
    CANCELLED = "cancelled"


class ToolStatus(StrEnum):
    """Lifecycle of one tool call as the UI shows it (`ToolCallLine`).

    `WAITING` ("waiting for approval"): a call an unanswered approval interrupt holds (the
    transcript's call line, `SessionController.views`); a live line takes it through
    `ToolCallLine.set_status`.
    """

    RUNNING = "running"
    WAITING = "waiting for approval"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def settled(self) -> bool:
        """Whether the call has ended (done, failed or cancelled)."""
        return self in (ToolStatus.DONE, ToolStatus.FAILED, ToolStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class Usage:
    """Provider-reported token usage of one message (None when unknown)."""

    input_tokens: int | None = None
    output_tokens: int | None = None

    def describe(self) -> str:
        """`in 12 · out 340`, or an empty string when nothing is known."""
        parts = []
        if self.input_tokens is not None:
            parts.append(f"in {self.input_tokens}")
        if self.output_tokens is not None:
            parts.append(f"out {self.output_tokens}")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class ToolCallView:
    """One tool call a model asked for, as the transcript shows it.

    Args:
        name: the tool's name.
        arguments: the arguments as the JSON text the model wrote.
        call_id: the call's id, when known (a live call: how an approval finds its line).
        status: `ToolStatus.WAITING` while an unanswered approval holds the call; None once
            its result (a line of its own) settles it.
    """

    name: str
    arguments: str
    call_id: str = field(default="", compare=False)
    status: ToolStatus | None = None

    def short(self, limit: int = 60) -> str:
        """``name(args)`` on one line: ``key=value`` pairs of a JSON object, cut with ``…``."""
        try:
            value = json.loads(self.arguments or "{}")
        except ValueError:
            value = None
        if isinstance(value, dict):
            shown = ", ".join(
                f"{key}={item if isinstance(item, str) else json.dumps(item)}"
                for key, item in value.items()
            )
        else:
            shown = self.arguments
        shown = " ".join(shown.split())
        if len(shown) > limit:
            shown = shown[: limit - 1] + "…"
        return f"{self.name}({shown})"

    def full(self) -> str:
        """The arguments, indented JSON when they parse, else as written."""
        try:
            return json.dumps(json.loads(self.arguments or "{}"), indent=2, ensure_ascii=False)
        except ValueError:
            return self.arguments


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message on a path, as the transcript shows it.

    Args:
        node_hash: hash of the node (the message's place in the tree).
        sender: who sent it (user, agent alias, ...).
        role: `user`, `assistant`, `system`, `error`, ...
        text: the raw message text; widgets sanitise it before showing it.
        sibling_index: 1-based index among the parent's children (the `n` of `n/m`).
        sibling_count: number of children of the parent (the `m` of `n/m`).
        forwarded: the node carries a message forwarded from another place in the tree.
        receiver: whom a network message is addressed to (None for a chat message).
    """

    node_hash: str
    sender: str
    role: str
    text: str
    model: str | None = None
    time: str | None = None
    sibling_index: int = 1
    sibling_count: int = 1
    status: MessageStatus = MessageStatus.DONE
    usage: Usage = field(default_factory=Usage)
    forwarded: bool = False
    receiver: str | None = None
    #: The tool calls an assistant message asks for (shown collapsed, expandable).
    tool_calls: tuple[ToolCallView, ...] = ()
    #: For a tool result (role ``tool``): the tool's name and whether the call failed.
    tool_name: str | None = None
    tool_failed: bool = False

    @property
    def has_tool_details(self) -> bool:
        """Whether the message has tool calls or is a tool result (it can expand)."""
        return bool(self.tool_calls) or self.tool_name is not None

    @property
    def short_hash(self) -> str:
        """The first 8 characters of the node hash, git style."""
        return self.node_hash[:8]

    @property
    def siblings(self) -> str:
        """`n/m`, or an empty string for an only child."""
        return f"{self.sibling_index}/{self.sibling_count}" if self.sibling_count > 1 else ""


@dataclass(frozen=True, slots=True)
class BranchSummary:
    """One branch as the branch picker lists it.

    Args:
        name: the branch name.
        last: a one-line label of its head message.
        length: messages from the root to its head.
        changed: when its head last moved (local time), or None.
    """

    name: str
    last: str
    length: int
    changed: str | None

    def describe(self, width: int = 48) -> str:
        """`main · 12 messages · 2026-11-20 14:03 · last words…` as one plain line."""
        parts = [self.name, f"{self.length} message" + ("" if self.length == 1 else "s")]
        if self.changed:
            parts.append(self.changed)
        last = self.last if len(self.last) <= width else self.last[: width - 1] + "…"
        parts.append(last or "(empty)")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class PaneState:
    """The header of one live streaming pane."""

    agent_alias: str
    model: str | None = None
    tokens: int = 0
    tokens_per_second: float = 0.0
    status: MessageStatus = MessageStatus.STREAMING
    elapsed: float = 0.0
    """Seconds since the pane opened (until it finished)."""
    cost: float | None = None
    """Dollars the reply's tokens so far cost, when the model's price is known."""


@dataclass(frozen=True, slots=True)
class BranchRun:
    """A run of messages between branch points: one line in the tree pane.

    Args:
        first: hash of the run's first node; its parent is a branch point or it is a root.
        last: hash of the run's last node; it has zero or several children.
        length: number of messages in the run.
        start_index: 0-based position of `first` on its root-to-node path.
        branches: names of branches whose heads lie in this run.
        heads: the head node hashes of those branches, in the same order.
        children: the runs that start at each child of `last`.
        active: whether the active path passes through this run.
        sibling_index: 1-based index of `first` among its parent's children.
        sibling_count: number of children of `first`'s parent (1 for a root).
        snippet: a short text of the first message, for the label.
    """

    first: str
    last: str
    length: int
    start_index: int = 0
    branches: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    children: tuple[BranchRun, ...] = ()
    active: bool = False
    sibling_index: int = 1
    sibling_count: int = 1
    snippet: str = ""


def _parents_of(children: Mapping[str, Sequence[str]]) -> dict[str, str]:
    return {child: parent for parent, kids in children.items() for child in kids}


def active_path(children: Mapping[str, Sequence[str]], head: str | None) -> set[str]:
    """The set of node hashes from a root down to `head` (empty when `head` is None)."""
    if head is None:
        return set()
    parents = _parents_of(children)
    path = {head}
    node = head
    while node in parents:
        node = parents[node]
        if node in path:
            raise ValueError(f"cycle in tree at node {node!r}")
        path.add(node)
    return path


class ChainIndex:
    """Where a chain of only children ends, remembered across calls as the tree grows.

    `reach(node)` follows single children down from `node` to the first node with zero or
    several children. A long conversation is one such chain, so walking it on every tree-pane
    update cost ~1 ms per 10,000 messages; the index resumes each walk where the last one
    stopped instead. Nodes are only ever added, so a remembered walk stays true until a node
    inside it gets a second child: the owner calls `forked()` then (rare: a fork or a rerun).

    Args:
        children: the live parent -> children mapping the owner keeps adding to.
    """

    MEMORY = 65_536
    """Most walks remembered; past it they are forgotten and walked once more."""

    def __init__(self, children: Mapping[str, Sequence[str]]) -> None:
        self._children = children
        self._reached: dict[str, tuple[str, int]] = {}

    def reach(self, node: str) -> tuple[str, int]:
        """The chain's last node and the number of steps down to it from `node`."""
        children = self._children
        end, steps = self._reached.get(node, (node, 0))
        following = children.get(end, ())
        while len(following) == 1:
            end = following[0]
            steps += 1
            following = children.get(end, ())
        if len(self._reached) >= self.MEMORY:
            self._reached.clear()  # old branch heads pile up here; the runs' firsts come back
        self._reached[node] = (end, steps)
        return end, steps

    def forked(self) -> None:
        """A node got its second child: a remembered walk may pass through it."""
        self._reached.clear()


def group_runs(
    roots: Sequence[str],
    children: Mapping[str, Sequence[str]],
    heads: Mapping[str, str] | None = None,
    active_head: str | None = None,
    snippets: Mapping[str, str] | None = None,
    *,
    on_path: Set[str] | None = None,
    chains: ChainIndex | None = None,
) -> tuple[BranchRun, ...]:
    """Group a message tree into runs between branch points, without recursion.

    A 100,000-deep chain must not hit Python's recursion limit, so both the walk down and the
    bottom-up construction of the frozen `BranchRun`s use explicit stacks.

    Args:
        roots: the root node hashes, in display order.
        children: parent hash -> child hashes in sibling order (leaves may be absent).
        heads: branch name -> head node hash.
        active_head: head of the active branch; runs on its root path are marked active.
        snippets: node hash -> text used for the run's label (first message of each run).
        on_path: the nodes from a root to `active_head`, when the caller has them (finding them
            here walks the whole tree).
        chains: a `ChainIndex` over `children` kept by the caller, so unchanged chains are not
            walked again (a fresh one is used when None).
    """
    heads = heads or {}
    snippets = snippets or {}
    chains = chains or ChainIndex(children)
    if on_path is None:
        on_path = active_path(children, active_head)

    # Pass 1, top-down: each run's extent and the runs that follow it.
    # spec: run id -> (first, last, length, start_index, sibling index, sibling count, active);
    # kids: run id -> child run ids.
    specs: list[tuple[str, str, int, int, int, int, bool]] = []
    kids: list[list[int]] = []
    top: list[int] = []
    run_ending: dict[str, int] = {}
    stack: list[tuple[str, int, int, int, int]] = [(root, 0, 1, 1, -1) for root in reversed(roots)]
    while stack:
        first, start, sib_index, sib_count, parent_run = stack.pop()
        last, steps = chains.reach(first)
        run_id = len(specs)
        # A run holds a node of the active path only if it holds its first: a path is closed
        # under parents.
        specs.append((first, last, steps + 1, start, sib_index, sib_count, first in on_path))
        run_ending[last] = run_id
        kids.append([])
        (kids[parent_run] if parent_run >= 0 else top).append(run_id)
        following = children.get(last, ())
        count = len(following)
        for index in range(count - 1, -1, -1):
            stack.append((following[index], start + steps + 1, index + 1, count, run_id))

    # Each head lies in the run its chain ends in, `steps` before that run's last node. Heads
    # the roots do not reach (none, in a consistent tree) are left out.
    placed: dict[int, list[tuple[int, int, str, str]]] = {}
    for order, (name, node) in enumerate(heads.items()):
        last, steps = chains.reach(node)
        run_id = run_ending.get(last, -1)
        if run_id >= 0:
            placed.setdefault(run_id, []).append((-steps, order, name, node))

    # Pass 2, bottom-up: children were always created after their parent, so walking run ids
    # backwards builds every child before the parent that holds it.
    built: list[BranchRun | None] = [None] * len(specs)
    for run_id in range(len(specs) - 1, -1, -1):
        first, last, length, start, sib_index, sib_count, active = specs[run_id]
        child_runs = tuple(built[c] for c in kids[run_id])
        in_run = sorted(placed.get(run_id, ()))  # root-most head first, then branch order
        built[run_id] = BranchRun(
            first=first,
            last=last,
            length=length,
            start_index=start,
            branches=tuple(name for _, _, name, _ in in_run),
            heads=tuple(node for _, _, _, node in in_run),
            children=child_runs,  # type: ignore[arg-type]
            active=active,
            sibling_index=sib_index,
            sibling_count=sib_count,
            snippet=snippets.get(first, ""),
        )
        for c in kids[run_id]:
            built[c] = None  # the parent holds it now; drop ours so memory stays one copy
    return tuple(_take(built, t) for t in top)


def _take(built: list[BranchRun | None], run_id: int) -> BranchRun:
    run = built[run_id]
    assert run is not None
    return run
