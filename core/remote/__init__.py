"""Remote agents: run agents on worker processes on any host, over NATS with JetStream.

    # worker host:   ramify worker --nats nats://bus:4222 agents.py:writer
    # caller:
    writer = remote_agent("WRITER", nats="nats://bus:4222")
    async for reply in writer.inquire("Draft the intro"):
        async for token in reply:
            print(token, end="")

A remote agent is an ordinary `Agent`: `inquire`, `call`, sessions, forks and the IDE use it
as they use a local one, and its replies are recorded as nodes by the caller (the worker
keeps nothing). Tokens stream on core NATS; finished messages go through JetStream with a
``Nats-Msg-Id``, so they survive a caller restart (`read_remote_run`) and are never doubled.
A worker that dies is noticed by its missing heartbeat; ``retries=`` starts the call again
on another worker. See `protocol` for the subjects. nats-py (``pip install "ramify[nats]"``)
is imported only when a remote agent is used.

Workflow tasks run on workers too: ``ramify worker ... flows.py:WORKFLOW`` serves each task,
and ``run_workflow(wf, x, tasks_on=remote_tasks(URL))`` sends them there (see `tasks`).
"""

from .bus_cache import close_shared_buses, shared_bus
from .caller import RemoteMessagePromise, RemoteTarget, remote_agent
from .directory import list_workers
from .follow import follow_remote_run
from .protocol import (
    RemoteError,
    RemoteRunError,
    RemoteUnavailableError,
    RemoteVersionError,
    UnknownRemoteAgentError,
    WorkerLostError,
)
from .recovery import ResyncReport, resync_remote_run, resync_remote_runs
from .resync import RemoteRunRecord, read_remote_run
from .settings import remote_url_for, with_remote_settings
from .tasks import RemoteTasks, remote_tasks, task_alias, workflow_agents
from .worker import RemoteWorker

__all__ = [
    "RemoteError",
    "RemoteMessagePromise",
    "RemoteRunError",
    "RemoteRunRecord",
    "RemoteTarget",
    "RemoteTasks",
    "RemoteUnavailableError",
    "RemoteVersionError",
    "RemoteWorker",
    "ResyncReport",
    "UnknownRemoteAgentError",
    "WorkerLostError",
    "close_shared_buses",
    "follow_remote_run",
    "list_workers",
    "read_remote_run",
    "remote_agent",
    "remote_tasks",
    "remote_url_for",
    "resync_remote_run",
    "resync_remote_runs",
    "shared_bus",
    "task_alias",
    "with_remote_settings",
    "workflow_agents",
]
