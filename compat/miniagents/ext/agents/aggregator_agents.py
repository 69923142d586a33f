"""MiniAgents' control-flow agents: Ramify's, with MiniAgents' methods and exit behaviour."""

from __future__ import annotations

from typing import Any

from ramify.core.agents import AWAIT, CLEAR
from ramify.core.agents import InteractionContext as CoreInteractionContext
from ramify.core.agents import agent as core_agent
from ramify.core.agents import agent_chain as core_agent_chain
from ramify.core.agents import agent_loop as core_agent_loop
from ramify.core.agents import console_user_agent as core_console_user_agent
from ramify.core.agents import dialog_loop as core_dialog_loop
from ramify.core.promising.context import contain_keyboard_interrupts

from ...miniagents import MiniAgent

__all__ = ["AWAIT", "CLEAR", "agent_chain", "agent_loop", "console_user_agent", "dialog_loop"]


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


agent_chain = MiniAgent.adopt(core_agent_chain)
agent_loop = MiniAgent.adopt(_contained_agent_loop)
dialog_loop = MiniAgent.adopt(core_dialog_loop)
console_user_agent = MiniAgent.adopt(core_console_user_agent)
