"""The seed's first example: an agent that echoes every message it receives."""

from ramify.core import InteractionContext, Ramify, agent


@agent
async def my_agent(ctx: InteractionContext):
    async for msg_promise in ctx.message_promises:
        ctx.reply(f"You said: {await msg_promise}")


async def main() -> None:
    async for msg_promise in my_agent.inquire(["Hello", "World"]):
        print(await msg_promise)


if __name__ == "__main__":
    Ramify().run(main())
