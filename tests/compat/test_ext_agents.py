"""MiniAgents' `ext` agents with MiniAgents' signatures: `user_agent`, `dialog_loop`."""

from __future__ import annotations

from ramify.compat.miniagents import InteractionContext, MiniAgents, miniagent
from ramify.compat.miniagents.ext import dialog_loop, in_memory_history_agent, user_agent
from ramify.compat.miniagents.ext.llms import SystemMessage, UserMessage


async def test_dialog_loop_prompts_the_assistant_and_the_user_agent_keeps_history() -> None:
    lines = ["hi", "and now?"]
    shown: list[str] = []
    seen_by_assistant: list[list[str]] = []

    @miniagent
    async def scripted_input(ctx: InteractionContext) -> None:
        ctx.reply(await ctx.message_promises)
        if not lines:
            raise KeyboardInterrupt  # the person typed "exit"
        ctx.reply(UserMessage(lines.pop(0)))

    @miniagent
    async def recording_output(ctx: InteractionContext) -> None:
        async for promise in ctx.message_promises:
            shown.append(str(await promise))
        ctx.reply(ctx.message_promises)

    @miniagent
    async def assistant(ctx: InteractionContext) -> None:
        messages = [str(message) for message in await ctx.message_promises]
        seen_by_assistant.append(messages)
        ctx.reply(f"reply {len(seen_by_assistant)}")

    history = in_memory_history_agent.fork(non_freezable_kwargs={"message_list": []})
    user = user_agent.fork(
        output_agent=recording_output, input_agent=scripted_input, history_agent=history
    )
    async with MiniAgents():
        await dialog_loop.trigger(
            SystemMessage("be brief"), user_agent=user, assistant_agent=assistant
        )

    assert seen_by_assistant == [
        ["hi", "be brief"],
        ["hi", "reply 1", "and now?", "be brief"],
    ]
    assert shown == ["reply 1", "reply 2"]
