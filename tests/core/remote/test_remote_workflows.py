"""Workflow tasks on real `ramify worker` processes, and remote agents inside workflows and
networks, against a private nats-server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ramify.core import Agent, Message, Ramify, UserMessage
from ramify.core.net import Actor, MaxMessages, NetMessage, Network
from ramify.core.promising import MessagePromise
from ramify.core.remote import close_shared_buses, remote_agent, remote_tasks
from ramify.core.runs import RunStatus
from ramify.core.session import Session
from ramify.core.store import MemoryStore
from ramify.core.workflow import (
    Depends,
    TaskError,
    TaskOutput,
    Workflow,
    WorkflowTaskFailed,
    run_workflow,
)
from tests.servers.nats import nats_server

from .remote_flows import Article, Draft, Topic, article, broken
from .workers import WorkerProcess, start_worker, workers

__all__ = ["nats_server", "workers"]

pytestmark = pytest.mark.slow

FLOWS = Path(__file__).with_name("remote_flows.py")


@pytest.fixture
async def runtime() -> AsyncIterator[Ramify]:
    async with Ramify(store=MemoryStore()) as ramify:
        yield ramify
        await close_shared_buses()


async def test_workflow_tasks_run_across_two_workers_and_are_recorded_by_the_caller(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "article", file=FLOWS))
    workers.append(start_worker(nats_server.url, "article", file=FLOWS))
    placement = remote_tasks(nats_server.url)
    # The queue group picks a worker per task; runs go on until both have served.
    for attempt in range(20):
        result = await run_workflow(article, Topic(topic=f"bees {attempt}"), tasks_on=placement)
        if len(set(placement.workers.values())) == 2:
            break
    assert set(placement.workers.values()) == {worker.worker_id for worker in workers}
    published = result.outputs[("write", "publish")]
    assert isinstance(published, Article)
    assert published.article == (
        f"draft from outline of bees {attempt} + review of outline of bees {attempt}"
    )
    # The dependency was resolved on a worker, not here.
    assert published.pid != os.getpid()
    assert published.pid in {worker.process.pid for worker in workers}
    runs = {run.id: run for run in await result.session.runs()}
    for (_, task), node in result.nodes.items():
        message = await result.session.store.get_message(node.message)
        assert isinstance(message, TaskOutput)
        assert message.task == task
        run = runs[node.run_id]
        assert run.status == RunStatus.DONE
        assert run.agent == f"article/write/{task}"
        # The remote run is the task attempt's own run.
        assert run.id in placement.workers


async def test_only_the_placed_tasks_leave_the_process(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "article", file=FLOWS))
    placement = remote_tasks(nats_server.url, tasks=["write/publish"])
    result = await run_workflow(article, Topic(topic="ants"), tasks_on=placement)
    published = result.outputs[("write", "publish")]
    assert isinstance(published, Article)
    assert published.pid == workers[0].process.pid
    assert list(placement.workers) == [result.nodes[("write", "publish")].run_id]


async def test_a_task_failing_on_a_worker_leaves_its_task_error_node(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "broken", file=FLOWS))
    with pytest.raises(WorkflowTaskFailed) as caught:
        await run_workflow(broken, Topic(topic="wasps"), tasks_on=remote_tasks(nats_server.url))
    assert "the worker could not plan wasps" in str(caught.value)
    result = caught.value.result
    assert result is not None
    node = result.nodes[("only", "explode")]
    message = await result.session.store.get_message(node.message)
    assert isinstance(message, TaskError)
    assert "the worker could not plan wasps" in message.text


async def test_a_workflow_task_without_a_worker_fails_in_one_line(
    nats_server, runtime: Ramify
) -> None:
    with pytest.raises(WorkflowTaskFailed) as caught:
        await run_workflow(article, Topic(topic="moths"), tasks_on=remote_tasks(nats_server.url))
    assert "no worker serves agent 'article/write/plan'" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_a_remote_agent_is_the_model_of_a_local_workflow_task(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    asked = Workflow("asked")
    ask_state = asked.state("ask", final=True)

    @ask_state.task()
    async def ask(
        x: Topic, model: Agent = Depends(remote_agent, "ECHO", nats=nats_server.url)
    ) -> Draft:
        tokens = []
        async for promise in model.inquire(x.topic, n=2):
            tokens += [token async for token in promise]
            assert promise.worker == workers[0].worker_id
        return Draft(draft="".join(tokens))

    result = await run_workflow(asked, Topic(topic="owls"))
    assert result.outputs[("ask", "ask")] == Draft(draft="owls-0.0 owls-0.1 ")


class Line(NetMessage):
    pass


class Writer(Actor):
    """Asks its model (a remote agent) and streams the answer to the editor."""

    def __init__(self, name: str, model: Agent) -> None:
        super().__init__(name)
        self.model = model

    def receive_message(self, message: Message) -> MessagePromise:
        return self.relay(self.model, message.text, Line, reply_to=message, receiver="editor")


class Editor(Actor):
    def receive_line(self, line: Line) -> Line:
        return Line.reply_to(line, text=f"noted: {line.text}", receiver="")


async def test_a_network_with_a_remote_actor_model_runs_like_a_local_one(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    network = Network(
        "remote-team",
        [Writer("writer", remote_agent("ECHO", nats=nats_server.url)), Editor("editor")],
        stop=MaxMessages(10),
    )
    result = await network.run("frogs")
    sent = [(getattr(m, "sender", None), m.text) for m in result.messages]
    assert ("writer", "frogs-0.0 frogs-0.1 frogs-0.2 ") in sent
    assert ("editor", "noted: frogs-0.0 frogs-0.1 frogs-0.2 ") in sent
    assert result.errors == []


async def test_a_network_with_a_remote_model_records_its_turns_in_a_session(
    nats_server, workers: list[WorkerProcess]
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    network = Network(
        "remote-team",
        [Writer("writer", remote_agent("ECHO", nats=nats_server.url)), Editor("editor")],
        stop=MaxMessages(10),
    )
    store = MemoryStore()
    async with Ramify(store=store):
        session = await Session.create(store)
        await session.append(UserMessage(text="toads"), sender="USER", branch="main")
        replies = session.inquire(network.as_agent())
        streamed = {}
        async for promise in replies:
            streamed[promise.origin] = "".join([token async for token in promise])
        run = await replies.recorded()
        path = await session.path_messages("main")
        await close_shared_buses()
    assert streamed["writer"] == "toads-0.0 toads-0.1 toads-0.2 "
    assert [str(message) for _, message in path] == [
        "toads",
        "toads-0.0 toads-0.1 toads-0.2 ",
        "noted: toads-0.0 toads-0.1 toads-0.2 ",
    ]
    assert [node.sender for node, _ in path] == ["USER", "writer", "editor"]
    assert run.status == RunStatus.DONE
