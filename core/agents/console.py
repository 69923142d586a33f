"""Console agents: print replies as they stream, read the next turn from the keyboard."""

from __future__ import annotations

import asyncio

from ..messages import UserMessage
from .agent import agent
from .context import InteractionContext

__all__ = ["console_input_agent", "console_output_agent", "console_user_agent"]

GREETING = (
    "YOU ARE NOW IN A CHAT WITH AN AI ASSISTANT\n\n"
    "Press Enter to send your message.\n"
    'Press Ctrl+C (or type "exit") to quit the conversation.\n'
)


@agent
async def console_output_agent(ctx: InteractionContext) -> None:
    """Print each input message as it streams, prefixed by its agent; pass the input on."""
    async for promise in ctx.message_promises:
        alias = promise.agent_alias or promise.get("role") or "ASSISTANT"
        print(f"\n{str(alias).upper()}: ", end="", flush=True)
        async for token in promise:
            print(token, end="", flush=True)
        print()
    ctx.reply(ctx.message_promises)


@agent
async def console_input_agent(ctx: InteractionContext, greeting: str = GREETING) -> None:
    """Pass the input on, then read one line from the keyboard as a `UserMessage`."""
    incoming = await ctx.message_promises
    if not incoming and greeting:
        print(greeting)
    ctx.reply(incoming)
    # input() blocks; a thread keeps the event loop (and streaming agents) running meanwhile.
    text = await asyncio.to_thread(input, "\nUSER: ")
    if text.strip().lower() == "exit":
        raise KeyboardInterrupt
    ctx.reply(UserMessage(text=text))


@agent
async def console_user_agent(ctx: InteractionContext) -> None:
    """The person at the console: show what arrived, then ask for the next message."""
    ctx.reply(console_input_agent.inquire(console_output_agent.inquire(ctx.message_promises)))
