"""A first agent: it echoes the newest message it receives.

In the IDE (`ramify examples/echo.py:my_agent`) an agent receives the whole branch as its
input, so it answers the last message only; echoing every message would repeat the history
on each turn.
"""

from ramify.core import InteractionContext, Ramify, agent


@agent
async def my_agent(ctx: InteractionContext):
    messages = await ctx.message_promises
    if messages:
        ctx.reply(f"You said: {messages[-1]}")


async def main() -> None:
    for text in ("Hello", "World"):
        print(await my_agent.inquire(text).as_single_promise())


if __name__ == "__main__":
    Ramify().run(main())
