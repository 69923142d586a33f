"""The seed's "agent parallelism explained" example: nothing runs until the first task switch."""

from ramify.core import InteractionContext, Message, Ramify, agent


@agent
async def agent1(ctx: InteractionContext) -> None:
    print("Agent 1 started")
    ctx.reply("*** MESSAGE from Agent 1 ***")
    print("Agent 1 finished")


@agent
async def agent2(ctx: InteractionContext) -> None:
    print("Agent 2 started")
    ctx.reply("*** MESSAGE from Agent 2 ***")
    print("Agent 2 finished")


@agent
async def aggregator_agent(ctx: InteractionContext) -> None:
    print("Aggregator started")
    ctx.reply(
        [
            agent1.inquire(),
            agent2.inquire(),
            "*** MESSAGE #1 from Aggregator ***",
        ]
    )
    print("Aggregator still working")
    ctx.reply("*** MESSAGE #2 from Aggregator ***")
    print("Aggregator finished")


async def main() -> None:
    msg_promises = aggregator_agent.inquire()

    print("PREPARING TO DELIVER MESSAGES FROM AGGREGATOR")

    async for msg_promise in msg_promises:
        message: Message = await msg_promise
        print(message)
    print("TOTAL NUMBER OF MESSAGES FROM AGGREGATOR:", len(await msg_promises))


if __name__ == "__main__":
    Ramify().run(main())
