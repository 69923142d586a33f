"""Networks and actors as Ramify agents: what `Session.inquire`, the IDE and rerun call.

A network's agent delivers the last message of its input to the entry actor and passes every
message on as a reply as it is sent (a streamed one token by token, each stamped with its
sender, so the IDE opens a pane per actor). In a session it writes the conversation tree
itself (`NetRecorder`): its replies are marked `placed_in_tree`, so the run's own recording
does not append them a second time as a line.

An actor's agent answers the last message of its input with the actor's handler. That is
what `Session.rerun` runs on a node an actor wrote: on the message that node answers, so the
new reply lands beside the old one, as a sibling on a new branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..agents import Agent, InteractionContext, agent
from ..messages import Message
from ..promising import MessagePromise
from .actor import AWAITED, GENERATOR, Actor
from .messages import NetMessage

if TYPE_CHECKING:
    from .network import Network

__all__ = ["actor_agent", "answer", "network_agent"]


class UnknownMessageType(TypeError):
    """An actor was given a message type it has no handler for."""


async def answer(actor: Actor, message: Message) -> list[Any]:
    """`actor`'s replies to `message`, collected (a handler's errors are raised)."""
    handler, kind = type(actor).handler_for(type(message))
    if handler is None:
        raise UnknownMessageType(f"{actor.name} cannot receive {type(message).__name__}")
    if kind == GENERATOR:
        return [item async for item in handler(actor, message)]
    result = handler(actor, message)
    if kind == AWAITED:
        result = await result
    if result is None:
        return []
    if isinstance(result, Message | MessagePromise | str):
        return [result]
    return list(result)


def _placed(messages: list[Message]) -> Message | None:
    # Copies, linked root to leaf, so `closest` works in a handler run outside its network.
    parent: Message | None = None
    for message in messages:
        if isinstance(message, NetMessage):
            message = message.model_copy()
            object.__setattr__(message, "_net_parent", parent)
            object.__setattr__(message, "_net_sent", True)
        parent = message
    return parent


@agent(cache=False)
async def _answer_last(ctx: InteractionContext, actor: Actor) -> None:
    """Answer the last input message with the actor's handler."""
    handled = _placed(list(await ctx.message_promises))
    if handled is None:
        return
    for item in await answer(actor, handled):
        if isinstance(item, str):
            item = NetMessage.reply_to(handled, text=item, sender=actor.name)
        ctx.reply(item)


# `Session.rerun` reads this to rerun a node on the message it answers (see rerun.py).
_answer_last.target.answers_one_message = True


def actor_agent(actor: Actor) -> Agent:
    """The agent that answers one message as `actor` does."""
    return _answer_last.fork(alias=actor.name, non_freezable_kwargs={"actor": actor})


@agent(cache=False)
async def _run_network(ctx: InteractionContext, network: Network) -> None:
    """Run the network on the last input message."""
    from .recorder import NetRecorder

    messages = list(await ctx.message_promises)
    if not messages:
        return
    last = messages[-1]
    recorder = None
    if ctx.session is not None and ctx.run is not None and ctx.branch:
        recorder = NetRecorder(ctx.session, ctx.branch, ctx.run, ctx.run.input_node, last)

    def sink(item: Message | MessagePromise, sender: str) -> None:
        promise = item if isinstance(item, MessagePromise) else MessagePromise.from_message(item)
        promise.origin = sender
        promise.placed_in_tree = recorder is not None
        ctx.reply(promise)

    await network.run(last, sink=sink, recorder=recorder, keep_messages=False)


def network_agent(network: Network) -> Agent:
    """The agent that runs `network` on its last input message."""
    return _run_network.fork(alias=network.name, non_freezable_kwargs={"network": network})
