"""A network in a workflow state: the body of ``state.network(...)`` (see `nested`).

The task writes ``ask(input)`` under its input node, runs the network with a `NetRecorder`
on a branch of its own (the actors' runs children of the attempt's run), streams each
message into the task's tokens, and makes its output from the network's answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ..messages import Message
from ..promising import MessagePromise
from ..tree import USER, Node
from .dsl import RetryPolicy, State, Task, Workflow
from .errors import NetworkAnswerMissing, TaskOutputMismatch, WorkflowDefinitionError, where
from .executor import first_error
from .nested import model_of, place_task
from .watch import TokenSink

if TYPE_CHECKING:
    from ..net import NetResult, Network
    from ..runs import Run
    from .engine import _Execution

__all__ = ["NetworkBody", "network_task"]


def network_task(
    state: State,
    network: Network,
    name: str | None,
    *,
    input_model: type[BaseModel] | None,
    output_model: type[BaseModel],
    ask: Callable[[Any], Any] | None,
    answer: Callable[[NetResult], BaseModel] | None,
    retry: RetryPolicy | None,
) -> Task:
    """`State.network`: place a task running `network` (see the module doc)."""
    from ..net import Network

    task_name = name or str(getattr(network, "name", ""))
    place = where(state.workflow.name, state.name, task_name)
    if not isinstance(network, Network):
        raise WorkflowDefinitionError(f"{place}: network() takes a Network, got {network!r}")
    try:
        network.entry  # noqa: B018 (raises for a network without actors)
    except (ValueError, KeyError) as error:
        raise WorkflowDefinitionError(f"{place}: network {network.name!r}: {error}") from None
    inputs = model_of(input_model, place, "input")
    outputs = model_of(output_model, place, "output")
    if outputs is None:
        raise WorkflowDefinitionError(f"{place}: network() needs output=, a pydantic model")
    body = NetworkBody(network, outputs, ask, answer)

    async def alone(value: BaseModel | None) -> BaseModel:
        return body.output_of(await network.run(body.message(value)), place)

    return place_task(state, task_name, body, inputs, outputs, alone, retry)


class NetworkBody:
    """What a network task runs: one conversation, recorded under the attempt's run."""

    def __init__(
        self,
        network: Network,
        output_model: type[BaseModel],
        ask: Callable[[Any], Any] | None,
        answer: Callable[[NetResult], BaseModel] | None,
    ) -> None:
        self.network = network
        self.output_model = output_model
        self.ask = ask
        self.answer = answer

    @property
    def label(self) -> str:
        return f"network {self.network.name}"

    def nested_workflows(self) -> tuple[Workflow, ...]:
        return ()

    def message(self, value: BaseModel | None) -> Message:
        """What the network is given: ``ask(value)``, or the value's JSON to the entry."""
        from ..net import NetMessage

        if self.ask is not None:
            asked = self.ask(value)
            if isinstance(asked, str):
                return NetMessage(text=asked, sender=USER, receiver=self.network.entry.name)
            if not isinstance(asked, Message):
                raise TypeError(f"ask= returned {type(asked).__name__}; return a Message or str")
            return asked
        text = "{}" if value is None else value.model_dump_json()
        return NetMessage(text=text, sender=USER, receiver=self.network.entry.name)

    def output_of(self, result: NetResult, place: str) -> BaseModel:
        """The task's output from how the network went (see the module doc)."""
        if self.answer is not None:
            output = self.answer(result)
            if not isinstance(output, self.output_model):
                raise TaskOutputMismatch(
                    f"{place}: answer= returned {type(output).__name__}, expected "
                    f"{self.output_model.__name__}"
                )
            return output
        chosen = _last_answer(result.outputs)
        if chosen is None and result.errors:
            raise NetworkAnswerMissing(
                f"{place}: network {self.network.name!r} ended with an error and no answer: "
                f"{result.errors[0].text}"
            )
        chosen = chosen or _last_answer(result.messages)
        if chosen is None:
            raise NetworkAnswerMissing(
                f"{place}: network {self.network.name!r} sent no message to answer with; "
                "check its entry actor and what ask= sends it"
            )
        if isinstance(chosen, self.output_model):
            return chosen
        try:
            return self.output_model.model_validate(chosen.model_dump())
        except ValidationError as error:
            fields_error = first_error(error)
        try:
            return self.output_model.model_validate_json(chosen.text)
        except ValidationError:
            pass
        raise TaskOutputMismatch(
            f"{place}: the result of network {self.network.name!r} "
            f"({type(chosen).__name__}) does not fit {self.output_model.__name__}: "
            f"{fields_error}; give answer= to build it"
        )

    async def execute(
        self, execution: Any, task: Task, value: BaseModel | None, run: Run
    ) -> BaseModel:
        from ..net import NetRecorder

        outer: _Execution = execution
        session = outer.session
        message = self.message(value)
        asked = Node(
            message=message.hash_key,
            parent=run.input_node,
            sender=outer.workflow.name,
            run_id=run.id,
            created_at=time.time(),
        )
        outer.recorder.node(asked, message)
        # The recorder below writes straight to the store: its parent must be there first.
        await outer.recorder.drain()
        branch = await session.free_branch_name(f"{outer.result.branch}/{task.name}")
        await session.store.move_ref(
            session.id,
            branch,
            asked.hash_key,
            expected=None,
            reason=f"network {self.network.name} in workflow run {outer.result.run.id}",
        )
        recorder = NetRecorder(session, branch, run, asked.hash_key, message)
        streams: set[asyncio.Future[None]] = set()
        tokens = TokenSink()

        def sink(item: Message | MessagePromise, sender: str) -> None:
            if isinstance(item, MessagePromise):
                tokens.put(f"{sender}: ")
                streams.add(asyncio.ensure_future(_stream(item, tokens)))
            else:
                tokens.put(f"{sender}: {item.text}\n\n")

        try:
            result = await self.network.run(message, recorder=recorder, sink=sink)
        finally:
            for stream in streams:
                stream.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
        return self.output_of(result, task.place)


def _last_answer(messages: list[Message]) -> Message | None:
    from ..net import NetError, Stopped

    for message in reversed(messages):
        if not isinstance(message, NetError | Stopped):
            return message
    return None


async def _stream(promise: MessagePromise, tokens: TokenSink) -> None:
    async for piece in promise:
        tokens.put(piece)
    tokens.put("\n\n")
