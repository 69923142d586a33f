"""Pre-packaged control-flow agents: `agent_chain`, `agent_loop`, `dialog_loop`, and `AWAIT`."""

from __future__ import annotations

from typing import Any, Final

from ..promising import MessageSequencePromise
from ..promising.context import contain_keyboard_interrupts
from .agent import Agent, agent
from .context import InteractionContext
from .history import in_memory_history_agent

__all__ = ["AWAIT", "CLEAR", "agent_chain", "agent_loop", "dialog_loop"]

AWAIT: Final = "AWAIT"
"""In a chain: wait until the replies so far have fully arrived before going on."""
CLEAR: Final = "CLEAR"
"""In a chain: drop the replies so far; the next agent starts with no input."""


async def _run_chain(ctx: InteractionContext, agents: tuple[Any, ...], current: Any) -> Any:
    for step in agents:
        if step is None:
            continue
        if step == AWAIT:
            if isinstance(current, MessageSequencePromise):
                await current
        elif step == CLEAR:
            current = None
        elif isinstance(step, Agent):
            current = step.inquire(current)
        else:
            raise TypeError(f"a chain step must be an agent, AWAIT or CLEAR, got {step!r}")
    return current


@agent
async def agent_chain(ctx: InteractionContext, agents: tuple[Any, ...]) -> None:
    """Call `agents` in turn, each on the previous one's replies; reply the last replies."""
    ctx.reply(await _run_chain(ctx, agents, ctx.message_promises))


def _check_loop(agents: tuple[Any, ...]) -> None:
    if AWAIT not in agents:
        # Calls return at once, so a loop with nothing awaited would schedule turns forever
        # without ever running them.
        raise ValueError("agent_loop needs at least one AWAIT among its agents")
    if not any(isinstance(step, Agent) for step in agents):
        raise ValueError("agent_loop needs at least one agent")


@agent
async def agent_loop(
    ctx: InteractionContext, agents: tuple[Any, ...], raise_keyboard_interrupt: bool = True
) -> None:
    """Run the chain `agents` over and over; a KeyboardInterrupt ends it (re-raised unless
    `raise_keyboard_interrupt` is False, when the loop just ends, e.g. on a typed ``exit``)."""
    _check_loop(agents)
    if not raise_keyboard_interrupt:
        # The agents of the chain run in tasks of their own: without this, their interrupt
        # would leave the event loop before this loop could catch it.
        contain_keyboard_interrupts()
    current: Any = ctx.message_promises
    try:
        while True:
            current = await _run_chain(ctx, agents, current)
    except KeyboardInterrupt:
        if raise_keyboard_interrupt:
            raise


@agent
async def _prompted_assistant(
    ctx: InteractionContext, assistant_agent: Agent, prompt: tuple[Any, ...], prompt_at_end: bool
) -> None:
    history = list(await ctx.message_promises)
    messages = [*history, *prompt] if prompt_at_end else [*prompt, *history]
    ctx.reply(assistant_agent.inquire(messages))


@agent
async def dialog_loop(
    ctx: InteractionContext,
    assistant_agent: Agent,
    user_agent: Agent | None = None,
    history_agent: Agent = in_memory_history_agent,
    prompt_at_end: bool = False,
) -> None:
    """A chat between a person and `assistant_agent`; this call's input is the prompt.

    The history agent keeps the conversation (the markdown one survives restarts).
    """
    from .console import console_user_agent

    prompt = await ctx.message_promises
    user = user_agent or console_user_agent
    assistant = _prompted_assistant.fork(
        assistant_agent=assistant_agent, prompt=prompt, prompt_at_end=prompt_at_end
    )
    full_history = history_agent.fork(return_full_history=True)
    await agent_loop.inquire(
        agents=(user, full_history, AWAIT, assistant), raise_keyboard_interrupt=False
    )
