"""A panel of experts: three LLM agents answer at once, then a moderator sums them up.

    python examples/parallel_team.py "Should a small team write its own agent framework?"

In the IDE the agent is ``examples/parallel_team.py:team``. Every expert is a real LLM agent:
the configured default model, or the offline demo model when no key is set (``--model NAME``
picks a configured one). Each expert's message reaches the team's reply the moment it starts
streaming, so the three answers stream side by side; the moderator starts once they are done.
"""

from __future__ import annotations

import argparse
from typing import Any

from ramify.core import (
    Agent,
    ErrorMessage,
    InteractionContext,
    Message,
    MessageSequencePromise,
    Ramify,
    SystemMessage,
    UserMessage,
    agent,
)
from ramify.core.llm import agent_for_model

EXPERTS = (
    ("SCIENTIST", "You are a careful scientist. Answer from evidence; say what is uncertain."),
    ("ENGINEER", "You are a pragmatic engineer. Answer with what to build and what it costs."),
    ("ECONOMIST", "You are an economist. Answer with incentives, trade-offs and side effects."),
)
MODERATOR = "MODERATOR"
MODERATOR_PERSONA = "You moderate a panel of experts. Be brief and fair to each of them."
SUM_UP = "Sum up the panel: where the experts agree, where they differ, and what you would do."


async def _answer_text(answer: MessageSequencePromise) -> str | None:
    """An expert's answer, or None when it failed (the failure is in the reply already)."""
    try:
        messages = await answer
    except Exception:
        return None
    text = "\n\n".join(m.text for m in messages if not isinstance(m, ErrorMessage))
    return text or None


@agent
async def team(ctx: InteractionContext, llm: Agent | None = None) -> None:
    """SCIENTIST, ENGINEER and ECONOMIST answer the conversation at once; MODERATOR sums up.

    Args:
        llm: the model agent every panelist is forked from (default: the configured model,
            or the offline demo model when no key is set).
    """
    base = llm if llm is not None else agent_for_model(None)
    history: list[Message] = list(await ctx.message_promises)
    answers = []
    for alias, persona in EXPERTS:
        answer = base.fork(alias=alias).inquire([SystemMessage(text=persona), *history])
        # The ordered lane would hold each expert's slot until it finished; out of order,
        # every expert's message is delivered as soon as it starts streaming.
        ctx.reply_out_of_order(answer)
        answers.append((alias, answer))
    panel = []
    for alias, answer in answers:
        text = await _answer_text(answer)
        if text is not None:
            panel.append(UserMessage(text=f"{alias} answered:\n\n{text}"))
    if panel:
        briefing = [SystemMessage(text=MODERATOR_PERSONA), *history, *panel]
        moderator = base.fork(alias=MODERATOR)
        ctx.reply(moderator.inquire([*briefing, UserMessage(text=SUM_UP)]))


async def main(question: str, model: str | None) -> None:
    kwargs: dict[str, Any] = {"llm": agent_for_model(model)} if model else {}
    async for promise in team.inquire(question, **kwargs):
        print(f"=== {promise.agent_alias} ===", flush=True)
        async for chunk in promise.chunks():
            print(chunk, end="", flush=True)
        print(flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Ask a panel of three experts and a moderator.")
    parser.add_argument(
        "question", nargs="?", default="Should a small team write its own agent framework?"
    )
    parser.add_argument("--model", help="a configured model name (default: the config's)")
    args = parser.parse_args()
    Ramify().run(main(args.question, args.model))
