"""A workflow whose tasks stream tokens, offline: the demo model writes, word by word.

state "draft": `outline` plans the piece, then `writer` streams it from the demo model
(each token goes to the run's watcher, so the IDE shows it live in the task's pane).
state "review" (final): `critic` streams a short verdict and counts the words.

    python examples/workflows/streaming.py "branching conversations"
    ramify examples/workflows/streaming.py:streaming     # the IDE's workflow view
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel

from ramify.core import UserMessage
from ramify.core.llm import stream_demo
from ramify.core.workflow import (
    Depends,
    TaskEvent,
    TaskTokens,
    TokenSink,
    Workflow,
    WorkflowResult,
    run_workflow,
    token_sink,
)

TOKENS_PER_SECOND = 40.0
"""The demo model's pace; 0 streams as fast as the loop allows."""


class Topic(BaseModel):
    topic: str = "branching conversations"


class Outline(BaseModel):
    outline: str


class Article(BaseModel):
    article: str


class Verdict(BaseModel):
    verdict: str
    words: int


async def _stream(prompt: str, tokens: TokenSink) -> str:
    """The demo model's reply to `prompt`, each token put into `tokens` as it comes."""
    parts = []
    async for token in stream_demo([UserMessage(text=prompt)], tokens_per_second=TOKENS_PER_SECOND):
        tokens.put(token)
        parts.append(token)
    return "".join(parts)


def build() -> Workflow:
    workflow = Workflow("streaming")
    draft = workflow.state("draft")
    review = workflow.state("review", final=True)

    @draft.task()
    def outline(request: Topic) -> Outline:
        return Outline(outline=f"1. what {request.topic} are  2. why they help")

    @draft.task()
    async def writer(plan: Outline, tokens: TokenSink = Depends(token_sink)) -> Article:
        return Article(article=await _stream(f"write about {plan.outline}", tokens))

    outline >> writer  # type: ignore[operator]

    @review.task()
    async def critic(piece: Article, tokens: TokenSink = Depends(token_sink)) -> Verdict:
        verdict = await _stream(f"review: {piece.article[:40]}", tokens)
        return Verdict(verdict=verdict, words=len(piece.article.split()))

    draft >> review
    return workflow


streaming = build()
"""The workflow, by name, for ``ramify examples/workflows/streaming.py:streaming``."""


async def main(topic: str) -> WorkflowResult:
    def watch(event: TaskEvent | TaskTokens) -> None:
        if isinstance(event, TaskTokens):
            print(event.text, end="", flush=True)
        elif event.status in ("running", "done"):
            print(f"\n[{event.state}/{event.task}: {event.status}]", flush=True)

    result = await run_workflow(build(), Topic(topic=topic), watcher=watch)
    print(f"\n{result.result['words']} words")
    return result


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "branching conversations"))
