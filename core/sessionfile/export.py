"""Render a session as markdown that reads well on GitHub and imports back losslessly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..messages import Message
from ..tree import Node
from .collect import collect_image
from .display import inline_code, inline_text, node_heading, render_body
from .image import Scope, SessionImage
from .layout import Layout, Thread, build_layout
from .syntax import (
    DATA_CLOSING,
    FORMAT_VERSION,
    anchor_prefix,
    choose_marker,
    comment_json,
    data_opening,
    header_line,
    links_marker,
    node_marker,
    section_marker,
)

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["export_markdown", "render_markdown"]


async def export_markdown(
    session: Session, scope: Scope = "path", branch: str | None = None
) -> str:
    """`session` as a markdown document (see docs/architecture.md, "Session files").

    Args:
        scope: ``"path"`` (root to the head of `branch`), ``"related"`` (that path and every
            branch forking off it: the tree under its root) or ``"tree"`` (everything).
        branch: the branch to centre on; defaults to the session's active branch.

    Raises `BranchNotFound` when `branch` does not exist (``"tree"`` does without it).
    """
    return render_markdown(await collect_image(session, scope, branch))


def render_markdown(image: SessionImage) -> str:
    """The document for `image`; the same image always gives the same text."""
    bodies = {key: render_body(message) for key, message in image.messages.items()}
    marker = choose_marker(image.record.id, _outside_text(image, bodies))
    prefix = anchor_prefix(marker)
    layout = build_layout(image.nodes, image.refs, image.branch, anchor_prefix=prefix)
    anchors = _node_anchors(image.nodes, prefix)
    lines = [header_line(marker), f"# {inline_text(image.record.title) or 'Untitled session'}", ""]
    lines += _summary(image, layout)
    for thread in layout.threads:
        lines += ["", section_marker(marker), f'## <a id="{thread.anchor}"></a>{_title(thread)}']
        intro = _intro(thread, layout, image, anchors)
        if intro:
            lines += ["", intro]
        for node in thread.nodes:
            key = node.hash_key
            message = image.messages[node.message]
            lines += ["", node_marker(marker, key), node_heading(node, message, anchors[key])]
            lines += ["", bodies[node.message]]
            links = _links(key, layout)
            if links:
                lines += ["", links_marker(marker), links]
    lines += ["", data_opening(marker)]
    lines += [comment_json(item) for item in _metadata(image, layout)]
    lines += [DATA_CLOSING, ""]
    return "\n".join(lines)


def _outside_text(image: SessionImage, bodies: dict[str, str]) -> str:
    """Every text from outside the file's structure: bodies and what headings show. GitHub
    gives headings ids made from their text, so anchors must not occur in it either."""
    names = [image.record.title or "", *image.refs]
    names += [node.sender for node in image.nodes.values()]
    names += [f"{message.role} {_model(message)}" for message in image.messages.values()]
    return "\n".join([*bodies.values(), *names])


def _model(message: Message) -> object:
    return message.__dict__.get("model") or (message.__pydantic_extra__ or {}).get("model")


def _node_anchors(nodes: dict[str, Node], prefix: str) -> dict[str, str]:
    length = 12
    while len({key[:length] for key in nodes}) < len(nodes):
        length += 4
    return {key: f"{prefix}n-{key[:length]}" for key in nodes}


def _title(thread: Thread) -> str:
    return f"Branch {thread.label}" if thread.name is not None else thread.label.capitalize()


def _summary(image: SessionImage, layout: Layout) -> list[str]:
    focus = inline_code(image.branch) if image.branch is not None else None
    what = {
        "path": f"branch {focus}, from its root to its head",
        "related": f"branch {focus} and every branch that forks off it",
        "tree": "the whole session",
    }[image.scope]
    count = len(image.nodes)
    facts = [
        f"session {inline_code(image.record.id)}",
        what,
        f"{count} message{'s' if count != 1 else ''}",
    ]
    if image.scope != "path":
        branches = len(image.refs)
        facts.append(f"{branches} branch{'es' if branches != 1 else ''}")
    lines = ["Exported from Ramify: " + " · ".join(facts) + "."]
    if len(layout.threads) > 1:
        links = [f"[{thread.label}](#{thread.anchor})" for thread in layout.threads]
        lines += ["", "Branches: " + " · ".join(links)]
    return lines


def _intro(
    thread: Thread, layout: Layout, image: SessionImage, anchors: dict[str, str]
) -> str | None:
    if thread.fork_parent is None:
        return None if thread is layout.threads[0] else "Starts a conversation of its own."
    parent = image.nodes[thread.fork_parent]
    home = layout.thread_of[thread.fork_parent]
    who = inline_text(parent.sender) or "a message"
    return (
        f"Continues from [{home.label}](#{home.anchor}) after "
        f"[the message by {who}](#{anchors[thread.fork_parent]})."
    )


def _links(key: str, layout: Layout) -> str | None:
    forks = layout.forks_at.get(key, [])
    heads = layout.heads_at.get(key, [])
    parts = []
    if forks:
        parts.append(
            "**Branches here:** "
            + " · ".join(f"[→ {fork.label}](#{fork.anchor})" for fork in forks)
        )
    if heads:
        parts.append("**Head of** " + ", ".join(inline_code(name) for name in heads))
    return "> " + " — ".join(parts) if parts else None


def _metadata(image: SessionImage, layout: Layout) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {
            "kind": "session",
            "format": FORMAT_VERSION,
            "scope": image.scope,
            "branch": image.branch,
            "session": image.record.model_dump(mode="json"),
        }
    ]
    items += [{"kind": "ref", "name": name, "head": head} for name, head in image.refs.items()]
    for thread in layout.threads:
        for node in thread.nodes:
            items.append(
                {
                    "kind": "node",
                    "hash": node.hash_key,
                    "parent": node.parent,
                    "sender": node.sender,
                    "forwarded_from": node.forwarded_from,
                    "run_id": node.run_id,
                    "created_at": node.created_at,
                    "message": image.messages[node.message].to_data(),
                }
            )
    items += [{"kind": "run", "run": run.model_dump(mode="json")} for run in image.runs]
    return items
