"""On opening a session, take in what remote runs finished while the IDE was closed, and
follow the runs still going on their workers while the IDE is open."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ramify.core.llm.config import RamifyConfig
    from ramify.core.runs import Run
    from ramify.core.session import Session
    from ramify.tui.controller import SessionController

__all__ = ["resync_on_open"]

Follower = Callable[[Callable[[], None]], Awaitable[str | None]]


async def resync_on_open(
    controller: SessionController, config: RamifyConfig
) -> tuple[list[str], list[Follower]]:
    """Resync the session's interrupted remote runs: start-up notices saying what happened,
    and a background job per run still going on its worker that records the rest as it
    lands (`RamifyApp(background=)`)."""
    from ramify.core.remote import RemoteError, remote_url_for, resync_remote_runs

    try:
        report = await resync_remote_runs(
            controller.session, lambda alias: remote_url_for(alias, config)
        )
    except RemoteError as error:
        return [f"Remote runs were not resynced: {error}"], []
    notices = []
    if report.added:
        await controller.refresh()
        notices.append(f"Resynced {len(report.added)} finished remote message(s) from JetStream.")
    followers = []
    for run in report.running:
        url = remote_url_for(run.agent, config)
        if url is not None:
            followers.append(_follower(controller.session, run, url))
    if followers:
        notices.append(
            f"{len(followers)} remote run(s) of this session are still running on their "
            "workers; their replies land here as they finish."
        )
    return notices, followers


def _follower(session: Session, run: Run, url: str) -> Follower:
    async def follow(changed: Callable[[], None]) -> str | None:
        from ramify.core.remote import RemoteError
        from ramify.core.remote.follow import follow_remote_run

        try:
            nodes = await follow_remote_run(session, run, url, on_node=lambda _: changed())
        except RemoteError as error:
            return f"Stopped following remote run {run.id[:8]}: {error}"
        state = run.status.value
        return f"Remote run {run.id[:8]} ({run.agent}): {len(nodes)} more message(s), {state}."

    return follow
