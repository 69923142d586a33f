"""Workflows the remote-workflow tests serve from real `ramify worker` processes."""

from __future__ import annotations

import os

from pydantic import BaseModel

from ramify.core.workflow import Depends, Workflow


class Topic(BaseModel):
    topic: str


class Outline(BaseModel):
    outline: str


class Draft(BaseModel):
    draft: str


class Review(BaseModel):
    review: str


class Article(BaseModel):
    article: str
    pid: int


class DraftAndReview(BaseModel):
    draft: str
    review: str


def process_id() -> int:
    """A dependency: resolved where the task runs (the worker, when it is remote)."""
    return os.getpid()


article = Workflow("article")
write = article.state("write", final=True)


@write.task()
def plan(x: Topic) -> Outline:
    return Outline(outline=f"outline of {x.topic}")


@write.task()
async def draft(x: Outline) -> Draft:
    return Draft(draft=f"draft from {x.outline}")


@write.task()
def review(x: Outline) -> Review:
    return Review(review=f"review of {x.outline}")


@write.task()
async def publish(x: DraftAndReview, pid: int = Depends(process_id)) -> Article:
    return Article(article=f"{x.draft} + {x.review}", pid=pid)


plan >> [draft, review]
[draft, review] >> publish


broken = Workflow("broken")
only = broken.state("only", final=True)


@only.task()
def explode(x: Topic) -> Outline:
    raise ValueError(f"the worker could not plan {x.topic}")
