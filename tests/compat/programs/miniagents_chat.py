"""A small MiniAgents 0.1 program, written for Ramify's tests (not copied from MiniAgents).

It imports `miniagents`; the tests port its import lines to `ramify.compat.miniagents` with
`port_miniagents_imports` and run it. It covers a full-duplex call, templated text messages,
batch persistence, and a fire-and-forget `agent_loop` that a scripted user ends by raising
`KeyboardInterrupt` (the console agent does that when the person types "exit").
"""

from miniagents import InteractionContext, Message, MiniAgents, TextMessage, miniagent
from miniagents.ext import AWAIT, agent_loop

LOG: list[str] = []
PERSISTED: list[str] = []


@miniagent
async def echo_agent(ctx: InteractionContext) -> None:
    async for promise in ctx.message_promises:
        ctx.reply(f"echo: {await promise}")


@miniagent
async def scripted_user(ctx: InteractionContext, turns: tuple[str, ...]) -> None:
    async for promise in ctx.message_promises:
        LOG.append(f"ASSISTANT: {await promise}")
    said = sum(1 for line in LOG if line.startswith("USER: "))
    if said == len(turns):
        raise KeyboardInterrupt
    LOG.append(f"USER: {turns[said]}")
    ctx.reply(turns[said])


@miniagent
async def parrot_agent(ctx: InteractionContext, prefix: str) -> None:
    async for promise in ctx.message_promises:
        text = str(await promise)
        template = '{prefix}: "{content}"'
        ctx.reply(TextMessage(content=text, content_template=template, prefix=prefix))


async def on_persist_messages(messages: list[Message]) -> None:
    PERSISTED.extend(str(message) for message in messages)


async def main() -> None:
    call = echo_agent.initiate_call()
    replies = aiter(call.reply_sequence(finish_call=False))
    call.send_message("ping")
    LOG.append(str(await (await anext(replies))))
    call.send_message(Message(kind="pong"))
    LOG.append(str(await (await anext(replies))))
    call.finish()

    # Fire and forget: nothing awaits the loop; leaving MiniAgents waits for it to end.
    agent_loop.trigger(
        agents=[
            scripted_user.fork(turns=("hi", "how are you?")),
            AWAIT,
            parrot_agent.fork(prefix="You said"),
        ]
    )


def run() -> None:
    MiniAgents(on_persist_messages=[on_persist_messages]).run(main())
