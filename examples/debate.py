"""A debate: OPTIMIST and SKEPTIC take turns on the user's topic, each answering the other.

    python examples/debate.py "Remote work is here to stay" --rounds 3

In the IDE the agent is ``examples/debate.py:debate``. Both debaters are real LLM agents: the
configured default model, or the offline demo model when no key is set (``--model NAME``
picks a configured one). Each turn streams into the reply as it is written, and each debater
sees the whole exchange so far, the other's messages as the turns it answers.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ramify.core import (
    Agent,
    AssistantMessage,
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

DEBATERS = (
    ("OPTIMIST", "You are the optimist in a friendly debate. Argue for the upside, concretely."),
    ("SKEPTIC", "You are the skeptic in a friendly debate. Find the risks and the weak spots."),
)
BRIEF = "Answer in a few sentences."


def _topic(history: Sequence[Message]) -> str:
    """The last thing the user said: what the debate is about."""
    for message in reversed(history):
        if message.role in (None, "user") and message.text.strip():
            return message.text
    raise ValueError("the debate needs a topic: send a message first")


def _prompt(
    topic: str, said: Sequence[tuple[str, str]], speaker: str, persona: str
) -> list[Message]:
    """What `speaker` sees: its persona, the topic, the exchange so far (the other side as
    the user's turns), then whose turn it is."""
    messages: list[Message] = [
        SystemMessage(text=persona),
        UserMessage(text=f"Debate topic: {topic}"),
    ]
    for alias, text in said:
        if alias == speaker:
            messages.append(AssistantMessage(text=text, agent_alias=alias))
        else:
            messages.append(UserMessage(text=f"{alias} said:\n\n{text}"))
    if said:
        turn = f"Your turn, {speaker}: answer {said[-1][0]}'s last point. {BRIEF}"
    else:
        turn = f"You open the debate, {speaker}. The topic: {topic}. {BRIEF}"
    messages.append(UserMessage(text=turn))
    return messages


async def _turn_text(turn: MessageSequencePromise) -> str | None:
    """A debater's message, or None when it failed (the failure is in the reply already)."""
    try:
        messages = await turn
    except Exception:
        return None
    if not messages or any(isinstance(m, ErrorMessage) for m in messages):
        return None
    return "\n\n".join(m.text for m in messages)


@agent
async def debate(ctx: InteractionContext, rounds: int = 2, llm: Agent | None = None) -> None:
    """OPTIMIST and SKEPTIC argue over the last user message, `rounds` turns each.

    Args:
        rounds: how many times each debater speaks.
        llm: the model agent both debaters are forked from (default: the configured model,
            or the offline demo model when no key is set).
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    base = llm if llm is not None else agent_for_model(None)
    topic = _topic(await ctx.message_promises)
    speakers = [(base.fork(alias=alias), persona) for alias, persona in DEBATERS]
    said: list[tuple[str, str]] = []
    for _ in range(rounds):
        for speaker, persona in speakers:
            turn = speaker.inquire(_prompt(topic, said, speaker.alias, persona))
            ctx.reply(turn)
            text = await _turn_text(turn)
            if text is None:
                return
            said.append((speaker.alias, text))


async def main(topic: str, rounds: int, model: str | None) -> None:
    kwargs: dict[str, Any] = {"llm": agent_for_model(model)} if model else {}
    async for promise in debate.inquire(topic, rounds=rounds, **kwargs):
        print(f"=== {promise.agent_alias} ===", flush=True)
        async for chunk in promise.chunks():
            print(chunk, end="", flush=True)
        print(flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Watch an optimist and a skeptic debate.")
    parser.add_argument("topic", nargs="?", default="AI agents will write most code by 2030.")
    parser.add_argument("--rounds", type=int, default=2, help="turns per debater (default 2)")
    parser.add_argument("--model", help="a configured model name (default: the config's)")
    args = parser.parse_args()
    Ramify().run(main(args.topic, args.rounds, args.model))
