"""A workflow inside a state of another, offline: an editing loop nested in a publishing run.

Workflow "publish", state "write" (final): `outline` -> `edit` -> `publish`, where `edit` is
the whole "editing" workflow as one task. Inside it, state "draft" writes a draft and, until
it is good enough, goes back to "draft" (its own loop, its own step limit); then "polish"
(final) gives the edited text, which is `edit`'s typed output. Every inner task's output is
a node under `edit`'s input node, recorded by a child run of `edit`'s run.

    python examples/workflows/nested.py "branching conversations"
    ramify run examples/workflows/nested.py:publish --input '{"topic": "trees"}'
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel

from ramify.core.workflow import Workflow, WorkflowResult, run_workflow


class Topic(BaseModel):
    topic: str


class Outline(BaseModel):
    topic: str
    points: list[str]


class DraftInput(BaseModel):
    """What a draft is written from: the outline and, on a revision, the last draft."""

    topic: str
    points: list[str]
    revision: int = 0


class Draft(BaseModel):
    text: str
    revision: int


class Edited(BaseModel):
    edited: str
    revisions: int


class Article(BaseModel):
    article: str


def editing() -> Workflow:
    """Draft until every point is covered (one point more per revision), then polish."""
    wf = Workflow("editing")
    draft_state = wf.state("draft")
    polish_state = wf.state("polish", final=True)

    @draft_state.task()
    def draft(request: DraftInput) -> Draft:
        revision = request.revision + 1
        covered = request.points[:revision]
        return Draft(text=f"{request.topic}: " + "; ".join(covered), revision=revision)

    @draft_state.condition()
    def covers_every_point(result: DraftInput) -> bool:
        return result.revision >= len(result.points)

    @polish_state.task()
    def polish(done: Draft) -> Edited:
        return Edited(edited=done.text.capitalize() + ".", revisions=done.revision)

    (draft_state & covers_every_point) >> polish_state
    (draft_state & ~covers_every_point) >> draft_state
    return wf


def build() -> Workflow:
    wf = Workflow("publish")
    write = wf.state("write", final=True)

    @write.task()
    def outline(request: Topic) -> Outline:
        return Outline(topic=request.topic, points=["why", "how", "what next"])

    # The whole editing workflow as one task: input and output are its first and last models.
    edit = write.subworkflow(editing(), name="edit")

    @write.task()
    def publish(text: Edited) -> Article:
        return Article(article=f"{text.edited} ({text.revisions} drafts)")

    outline >> edit >> publish  # type: ignore[operator]
    return wf


# What `ramify run examples/workflows/nested.py:publish --input JSON` runs.
publish = build()


async def main(topic: str) -> WorkflowResult:
    result = await run_workflow(build(), Topic(topic=topic))
    print(result.result["article"])
    return result


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "branching conversations"))
