"""Remote agents against a private nats-server and real `ramify worker` processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from ramify.core import ErrorMessage, Ramify, UserMessage
from ramify.core.remote import (
    RemoteUnavailableError,
    RemoteVersionError,
    UnknownRemoteAgentError,
    close_shared_buses,
    list_workers,
    read_remote_run,
    remote_agent,
    shared_bus,
)
from ramify.core.remote.protocol import encode, message_id, run_subject
from ramify.core.runs import RunStatus
from ramify.core.session import Session
from ramify.core.store import MemoryStore
from tests.servers.nats import NatsServer, nats_server

from .workers import WorkerProcess, start_worker, workers

__all__ = ["nats_server", "workers"]

pytestmark = pytest.mark.slow


@pytest.fixture
async def runtime() -> AsyncIterator[Ramify]:
    async with Ramify(store=MemoryStore()) as ramify:
        yield ramify
        await close_shared_buses()


async def test_remote_agent_streams_replies_like_a_local_one(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    echo = remote_agent("ECHO", nats=nats_server.url)
    texts = []
    async for promise in echo.inquire("hi", n=4, replies=2):
        tokens = [token async for token in promise]
        message = await promise
        assert "".join(tokens) == message.text
        assert promise.worker == workers[0].worker_id
        texts.append(message.text)
    assert texts == [
        "hi-0.0 hi-0.1 hi-0.2 hi-0.3 ",
        "hi-1.0 hi-1.1 hi-1.2 hi-1.3 ",
    ]


async def test_session_records_remote_replies_as_nodes(
    nats_server, workers: list[WorkerProcess]
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    store = MemoryStore()
    async with Ramify(store=store):
        session = await Session.create(store)
        await session.append(UserMessage(text="hello"), sender="USER", branch="main")
        replies = session.inquire(remote_agent("ECHO", nats=nats_server.url), n=2)
        messages = await replies
        run = await replies.recorded()
        path = await session.path_messages("main")
        await close_shared_buses()
    assert [message.text for message in messages] == ["hello-0.0 hello-0.1 "]
    assert [str(message) for _, message in path] == ["hello", "hello-0.0 hello-0.1 "]
    assert run.status == RunStatus.DONE


async def test_several_workers_share_the_load(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    workers.append(start_worker(nats_server.url, "echo"))
    echo = remote_agent("ECHO", nats=nats_server.url)
    served: set[str | None] = set()
    for attempt in range(40):
        async for promise in echo.inquire(f"call {attempt}", n=1):
            await promise
            served.add(promise.worker)
        if len(served) == 2:
            break
    assert served == {worker.worker_id for worker in workers}


async def test_workers_lists_live_workers_and_their_agents(
    nats_server, workers: list[WorkerProcess]
) -> None:
    workers.append(start_worker(nats_server.url, "echo", "paced"))
    listed = await list_workers(nats_server.url)
    assert [(w["worker"], w["agents"]) for w in listed] == [
        (workers[0].worker_id, ["ECHO", "PACED"])
    ]


async def _end_record(url: str, run_id: str) -> dict[str, object]:
    """The run's end record, waited for on JetStream (delivered when the worker publishes it)."""
    from nats.js.api import DeliverPolicy

    from ramify.core.remote.protocol import decode

    bus = await shared_bus(url)
    ended: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()

    async def take(msg: object) -> None:
        data = msg.data  # type: ignore[attr-defined]
        if data[:1] == b"e" and not ended.done():
            ended.set_result(decode(data[1:], "end"))

    sub = await bus.js.subscribe(
        run_subject(run_id, "out"), cb=take, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    try:
        return await ended
    finally:
        await sub.unsubscribe()


async def _only_run_id(store: MemoryStore) -> str:
    (run,) = await store.list_runs()
    return run.id


async def test_cancel_reaches_the_worker_and_keeps_the_partial(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "hang"))
    replies = remote_agent("HANG", nats=nats_server.url).inquire("x")
    async for promise in replies:
        async for token in promise:
            assert token == "first "
            break
        replies.cancel()
        with pytest.raises(asyncio.CancelledError):
            await promise
        assert promise.partial().text == "first "
        assert promise.partial().cancelled is True
        break
    run_id = await _only_run_id(runtime.store)
    end = await _end_record(nats_server.url, run_id)
    assert end["status"] == "cancelled"
    record = await read_remote_run(nats_server.url, run_id)
    assert record.partial is not None
    assert record.partial.text == "first "


async def test_a_killed_worker_is_noticed_by_heartbeat_and_the_run_fails(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "hang"))
    hang = remote_agent("HANG", nats=nats_server.url, heartbeat_timeout=1.5)
    replies = hang.inquire("x", errors_as_messages=True)
    async for promise in replies:
        async for _ in promise:
            workers[0].kill()
            break
        message = await promise
        assert isinstance(message, ErrorMessage)
        assert message.error_type == "WorkerLostError"
        assert message.partial_text == "first "
        break
    rest = await replies
    assert any("stopped answering" in str(message) for message in rest)


async def test_a_worker_stopped_mid_run_fails_the_run_at_once_keeping_the_partial(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "hang"))
    # A long heartbeat timeout: the failure must come from the worker's end record.
    hang = remote_agent("HANG", nats=nats_server.url, heartbeat_timeout=60)
    replies = hang.inquire("x", errors_as_messages=True)
    async for promise in replies:
        async for _ in promise:
            workers[0].stop()
            break
        message = await promise
        assert isinstance(message, ErrorMessage)
        assert message.error_type == "WorkerLostError"
        assert message.partial_text == "first "
        break


async def test_retry_policy_moves_a_run_to_another_worker(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "hang"))
    hang = remote_agent("HANG", nats=nats_server.url, heartbeat_timeout=1.5, retries=1)
    replies = hang.inquire("x", errors_as_messages=True)
    seen = []
    async for promise in replies:
        if not seen:
            async for _ in promise:
                workers.append(start_worker(nats_server.url, "hang", env={"HANG_ROLE": "finish"}))
                workers[0].kill()
                break
        seen.append((await promise, promise.worker))
    first, second = seen
    assert isinstance(first[0], ErrorMessage)
    assert first[1] == workers[0].worker_id
    assert second == (second[0], workers[1].worker_id)
    assert second[0].text == "first done"


async def test_a_restarted_caller_reads_finished_messages_once(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    replies = remote_agent("ECHO", nats=nats_server.url).inquire("hi", n=2, replies=2)
    messages = await replies
    run_id = await _only_run_id(runtime.store)
    bus = await shared_bus(nats_server.url)
    # The worker publishing the same message again (after a reconnect) is dropped.
    again = {"index": 0, "kind": "message", "message": messages[0].to_data()}
    ack = await bus.js.publish(
        run_subject(run_id, "out"),
        b"m" + encode(again),
        headers={"Nats-Msg-Id": message_id(run_id, 0, messages[0].hash_key)},
    )
    assert ack.duplicate is True
    await close_shared_buses()  # the caller "restarts": a new connection reads it back
    record = await read_remote_run(nats_server.url, run_id)
    assert record.messages == list(messages)
    assert record.status == "done"
    assert record.worker == workers[0].worker_id


async def test_a_server_restart_mid_run_is_survived(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "paced"))
    paced = remote_agent("PACED", nats=nats_server.url, heartbeat_timeout=5.0)
    async for promise in paced.inquire("go", n=40, gap=0.05):
        async for _ in promise:
            await asyncio.to_thread(nats_server.restart)
            break
        message = await promise
        assert message.text == "".join(f"t{i} " for i in range(40))
    bus = await shared_bus(nats_server.url)
    assert bus.client.stats["reconnects"] >= 1


async def test_a_slow_consumer_is_reported_and_the_text_still_arrives(
    nats_server, workers: list[WorkerProcess], runtime: Ramify, caplog: pytest.LogCaptureFixture
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    echo = remote_agent("ECHO", nats=nats_server.url, token_pending_limit=2)
    message = (await echo.inquire("z", n=3000))[0]
    assert message.text == "".join(f"z-0.{i} " for i in range(3000))
    bus = await shared_bus(nats_server.url)
    assert bus.slow_consumers > 0
    assert "slow consumer" in caplog.text


async def test_unknown_agent_is_one_clear_line(nats_server, runtime: Ramify) -> None:
    with pytest.raises(UnknownRemoteAgentError, match="no worker serves agent 'NOBODY'"):
        await remote_agent("NOBODY", nats=nats_server.url).inquire("x")


async def test_unreachable_server_fails_fast_with_one_line(runtime: Ramify) -> None:
    replies = remote_agent("ECHO", nats="nats://127.0.0.1:9").inquire("x", errors_as_messages=True)
    (message,) = await replies
    assert isinstance(message, ErrorMessage)
    assert message.error_type == "RemoteUnavailableError"
    assert "cannot reach the NATS server at nats://127.0.0.1:9" in message.text
    with pytest.raises(RemoteUnavailableError):
        await remote_agent("ECHO", nats="nats://127.0.0.1:9").inquire("x")


async def test_a_worker_of_another_version_refuses_clearly(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    other = remote_agent("ECHO", nats=nats_server.url, version="0.0.0-other")
    with pytest.raises(RemoteVersionError, match=r"the caller 0\.0\.0-other .*same version"):
        await other.inquire("x")


async def test_a_failing_remote_agent_leaves_an_error_node(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "fails"))
    (message,) = await remote_agent("FAILS", nats=nats_server.url).inquire(
        "x", errors_as_messages=True
    )
    assert isinstance(message, ErrorMessage)
    assert "the remote agent broke" in message.text


async def test_input_that_fails_validation_is_refused_in_one_line(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "echo"))
    bus = await shared_bus(nats_server.url)
    from ramify.core.remote.protocol import PROTOCOL, agent_subject, decode, ramify_version

    request = {
        "protocol": PROTOCOL,
        "version": ramify_version(),
        "run_id": "bad-input",
        "agent": "ECHO",
        "messages": [{"$type": "Message", "text": 5}],
    }
    reply = await bus.client.request(agent_subject("ECHO"), encode(request), timeout=5)
    answer = decode(reply.data, "answer")
    assert answer["accepted"] is False
    assert answer["reason"].startswith("the input messages failed validation")
    # The worker is still serving.
    (message,) = await remote_agent("ECHO", nats=nats_server.url).inquire("ok", n=1)
    assert message.text == "ok-0.0 "


async def test_a_server_without_jetstream_is_one_clear_line(tmp_path, runtime: Ramify) -> None:
    plain = NatsServer(tmp_path, jetstream=False)
    plain.start()
    try:
        replies = remote_agent("ECHO", nats=plain.url).inquire("x", errors_as_messages=True)
        (message,) = await replies
    finally:
        await close_shared_buses()
        plain.stop()
    assert isinstance(message, ErrorMessage)
    assert "has no JetStream; start it with -js" in message.text


async def test_a_result_that_fails_validation_is_an_error_node_and_earlier_replies_stay(
    nats_server, runtime: Ramify
) -> None:
    """A (broken) worker written against the wire: one good reply, then an invalid one."""
    from ramify.core import Message
    from ramify.core.remote.protocol import agent_subject, decode

    bus = await shared_bus(nats_server.url)
    good = Message(text="good")

    async def serve(msg: object) -> None:
        request = decode(msg.data, "request")  # type: ignore[attr-defined]
        run_id = request["run_id"]
        accept = {"accepted": True, "worker": "broken-worker"}
        await bus.client.publish(msg.reply, encode(accept))  # type: ignore[attr-defined]
        out = run_subject(run_id, "out")
        first = {"index": 0, "kind": "message", "message": good.to_data()}
        await bus.js.publish(out, b"m" + encode(first))
        bad = {"index": 1, "kind": "message", "message": {"$type": "Message", "text": 5}}
        await bus.js.publish(out, b"m" + encode(bad))

    sub = await bus.client.subscribe(agent_subject("BROKEN"), cb=serve)
    try:
        replies = await remote_agent("BROKEN", nats=nats_server.url).inquire(
            "x", errors_as_messages=True
        )
    finally:
        await sub.unsubscribe()
    first, second = replies
    assert first == good
    assert isinstance(second, ErrorMessage)
    assert second.error_type == "RemoteRunError"
    assert "broken-worker sent an invalid result: a finished message failed validation" in str(
        second
    )


async def test_a_blocked_caller_loop_does_not_count_as_a_lost_worker(
    nats_server, workers: list[WorkerProcess], runtime: Ramify
) -> None:
    workers.append(start_worker(nats_server.url, "paced"))
    paced = remote_agent("PACED", nats=nats_server.url, heartbeat_timeout=1.0)
    async for promise in paced.inquire("go", n=30, gap=0.05):
        async for _ in promise:
            # This loop stalls (a UI freezing) for longer than the heartbeat timeout.
            time.sleep(2.0)  # noqa: ASYNC251
            break
        message = await promise
        assert message.text == "".join(f"t{i} " for i in range(30))


async def test_a_worker_keeps_no_per_run_subscriptions_after_runs_end(
    nats_server, runtime: Ramify
) -> None:
    from ramify.core.remote import RemoteWorker

    from .remote_agents import echo

    worker = RemoteWorker([echo])
    await worker.start(nats_server.url)
    try:
        assert worker.bus is not None
        before = len(worker.bus.client._subs)
        for attempt in range(5):
            await remote_agent("ECHO", nats=nats_server.url).inquire(f"call {attempt}", n=2)
        # Each run's cancel subscription ends before its end record is published.
        assert len(worker.bus.client._subs) == before
    finally:
        await worker.stop()
