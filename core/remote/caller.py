"""`remote_agent`: an agent whose calls run on a worker, used exactly like a local one.

The returned `Agent` is an ordinary one (``inquire``, sessions, `call`, forks): its function
sends the call's input to a worker and turns the worker's stream back into local message
promises, one per reply, that stream tokens as they arrive and resolve to the very message
the worker finished (same hash). Failures become the call's failure, so with
errors-as-messages they are error nodes at the position they happened.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ..agents import Agent, InteractionContext, agent
from ..redact import redact_url
from .incoming import RemoteMessagePromise
from .protocol import WorkerLostError, json_ready, ramify_version
from .remote_run import RemoteRun

__all__ = ["RemoteMessagePromise", "RemoteTarget", "remote_agent"]

logger = logging.getLogger("ramify.remote")

#: Token subscriptions may hold this many messages before NATS drops (and we report) some.
TOKEN_PENDING_LIMIT = 1_000_000


class RemoteTarget:
    """Where and how an agent's calls run remotely (a live dependency, not in the fingerprint).

    Args:
        url: the NATS server.
        retries: how many times a call whose worker died is started again on another worker.
        heartbeat_timeout: seconds without a heartbeat after which the worker counts as lost.
        accept_timeout: seconds to wait for a worker to accept the call.
        token_pending_limit: messages the token subscription may queue (a slow consumer past
            it loses tokens, which is reported; the finished text still arrives).
        version: the Ramify version sent with requests (a worker refuses another one).
    """

    def __init__(
        self,
        url: str,
        *,
        retries: int = 0,
        heartbeat_timeout: float = 3.0,
        accept_timeout: float = 5.0,
        token_pending_limit: int = TOKEN_PENDING_LIMIT,
        version: str | None = None,
    ) -> None:
        self.url = url
        self.retries = retries
        self.heartbeat_timeout = heartbeat_timeout
        self.accept_timeout = accept_timeout
        self.token_pending_limit = token_pending_limit
        self.version = version or ramify_version()

    def __repr__(self) -> str:
        return f"RemoteTarget({redact_url(self.url)})"


def remote_agent(
    name: str | Agent,
    *,
    nats: str,
    description: str | None = None,
    retries: int = 0,
    heartbeat_timeout: float = 3.0,
    accept_timeout: float = 5.0,
    token_pending_limit: int = TOKEN_PENDING_LIMIT,
    version: str | None = None,
    **kwargs: Any,
) -> Agent:
    """An agent named `name` whose calls run on workers at the NATS server `nats`.

    Args:
        name: the alias the workers serve, or a local agent to run remotely under its alias
            (its frozen kwargs are sent with every call; the worker's copy of the agent runs).
        nats: the server URL, ``nats://host:4222``.
        retries: calls whose worker died (or was stopped) start again on another worker
            this many times; the dead attempt's partial reply stays as an error.
        heartbeat_timeout, accept_timeout, token_pending_limit, version: see `RemoteTarget`.
        kwargs: frozen defaults sent with every call, like ``@agent``'s.
    """
    params: dict[str, Any] = {}
    if isinstance(name, Agent):
        params.update(name.params)
        description = description if description is not None else name.description
        name = name.alias
    params.update(kwargs)
    target = RemoteTarget(
        nats,
        retries=retries,
        heartbeat_timeout=heartbeat_timeout,
        accept_timeout=accept_timeout,
        token_pending_limit=token_pending_limit,
        version=version,
    )
    return agent(
        alias=name,
        description=description or f"{name}, run on a remote worker",
        non_freezable_kwargs={"remote": target},
        **params,
    )(_remote_call)


async def _remote_call(ctx: InteractionContext, *, remote: RemoteTarget, **kwargs: Any) -> None:
    """Run this call on a worker; its replies stream back into this call's replies."""
    messages = list(await ctx.message_promises)
    base = ctx.run.id if ctx.run is not None else uuid.uuid4().hex
    sent_kwargs = json_ready(kwargs, "a kwarg")
    attempt = 0
    while True:
        run_id = base if attempt == 0 else f"{base}-retry{attempt}"
        try:
            await RemoteRun(ctx, remote, run_id, messages, sent_kwargs).run()
            return
        except WorkerLostError as error:
            if attempt >= remote.retries:
                raise
            attempt += 1
            logger.warning("%s; retrying on another worker (%d/%d)", error, attempt, remote.retries)
