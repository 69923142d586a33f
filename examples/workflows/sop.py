"""MetaGPT-style SOP as a workflow, offline: scripted roles stand in for models.

design state: the product manager writes a PRD, then the architect a design from it.
After design: satisfactory -> coding; otherwise (the fallback) -> design again, where the
architect revises. coding state (final): the engineer writes code from PRD and design.

    python examples/workflows/sop.py "a todo app"
"""

from __future__ import annotations

import asyncio
import sys

from pydantic import BaseModel

from ramify.core.workflow import Workflow, WorkflowResult, run_workflow


class Idea(BaseModel):
    idea: str


class Prd(BaseModel):
    idea: str
    prd: str


class Design(BaseModel):
    prd: str
    design: str
    revision: int


class Draft(BaseModel):
    """What the architect sees: the PRD and, on a revision, the previous design."""

    prd: str
    revision: int = 0


class Spec(BaseModel):
    prd: str
    design: str


class Code(BaseModel):
    code: str


def build() -> Workflow:
    sop = Workflow("sop")
    design = sop.state("design")
    coding = sop.state("coding", final=True)

    @design.task()
    def product_manager(request: Idea) -> Prd:
        return Prd(idea=request.idea, prd=f"PRD: users can {request.idea}; must be testable.")

    @design.task()
    async def architect(draft: Draft) -> Design:
        # The first draft forgets the tests the PRD asks for; the review sends it back.
        revision = draft.revision + 1
        parts = ["module app.py", "class App"]
        if revision > 1:
            parts.append("tests in test_app.py")
        return Design(prd=draft.prd, design="; ".join(parts), revision=revision)

    product_manager >> architect  # type: ignore[operator]

    @design.condition()
    def satisfactory(spec: Design) -> bool:
        return "testable" not in spec.prd or "tests" in spec.design

    @coding.task()
    def engineer(spec: Spec) -> Code:
        return Code(code=f"# {spec.prd}\n# design: {spec.design}\nclass App:\n    pass\n")

    (design & satisfactory) >> coding
    (design & ~satisfactory) >> design
    return sop


# What `ramify run examples/workflows/sop.py:sop --input JSON` runs.
sop = build()


async def main(idea: str) -> WorkflowResult:
    result = await run_workflow(build(), Idea(idea=idea))
    print(" -> ".join(result.states))
    print(result.result["code"])
    return result


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "keep a todo list"))
