"""MiniAgents' control-flow agents: Ramify's, with MiniAgents' methods and exit behaviour."""

from __future__ import annotations

from typing import Any

from ramify.core.agents import AWAIT, CLEAR, Agent, console_input_agent, console_output_agent
from ramify.core.agents import InteractionContext as CoreInteractionContext
from ramify.core.agents import agent as core_agent
from ramify.core.agents import agent_chain as core_agent_chain
from ramify.core.agents import agent_loop as core_agent_loop
from ramify.core.agents import in_memory_history_agent as core_in_memory_history_agent
from ramify.core.agents.loops import _prompted_assistant
from ramify.core.promising.context import contain_keyboard_interrupts

from ...miniagents import MiniAgent

__all__ = [
    "AWAIT",
    "CLEAR",
    "agent_chain",
    "agent_loop",
    "console_user_agent",
    "dialog_loop",
    "user_agent",
]


@core_agent(alias="AGENT_LOOP")
async def _contained_agent_loop(
    ctx: CoreInteractionContext, agents: tuple[Any, ...], raise_keyboard_interrupt: bool = True
) -> None:
    # MiniAgents keeps a KeyboardInterrupt that ends a loop inside the loop's replies: a
    # fire-and-forget loop ended by its user agent (typing "exit") leaves `run()` quietly.
    # Ramify would let it leave the event loop; contained, it only reaches a consumer.
    contain_keyboard_interrupts()
    await core_agent_loop.target(
        ctx, agents=agents, raise_keyboard_interrupt=raise_keyboard_interrupt
    )


@core_agent(alias="USER_AGENT")
async def _user_agent(
    ctx: CoreInteractionContext,
    output_agent: Agent | None,
    input_agent: Agent | None,
    history_agent: Agent | None = core_in_memory_history_agent,
) -> None:
    # MiniAgents' user agent: show what arrived, read the person, reply the whole history
    # (so a following LLM agent gets the conversation).
    history = history_agent.fork(return_full_history=True) if history_agent else None
    ctx.reply(
        core_agent_chain.inquire(ctx.message_promises, agents=(output_agent, input_agent, history))
    )


@core_agent(alias="DIALOG_LOOP")
async def _dialog_loop(
    ctx: CoreInteractionContext,
    user_agent: Agent | None,
    assistant_agent: Agent | None,
    prompt_at_the_end: bool = True,
) -> None:
    # MiniAgents' signature and defaults: this call's own input prompts the assistant (after
    # the history by default); the user agent keeps the history.
    prompt = await ctx.message_promises
    assistant = assistant_agent
    if prompt and assistant_agent is not None:
        assistant = _prompted_assistant.fork(
            assistant_agent=assistant_agent, prompt=prompt, prompt_at_end=prompt_at_the_end
        )
    ctx.reply(
        core_agent_loop.inquire(
            agents=(user_agent, AWAIT, assistant), raise_keyboard_interrupt=False
        )
    )


agent_chain = MiniAgent.adopt(core_agent_chain)
agent_loop = MiniAgent.adopt(_contained_agent_loop)
user_agent = MiniAgent.adopt(_user_agent)
console_user_agent = user_agent.fork(
    output_agent=console_output_agent, input_agent=console_input_agent
)
dialog_loop = MiniAgent.adopt(_dialog_loop)
