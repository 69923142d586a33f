"""On opening a session, take in what remote runs finished while the IDE was closed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ramify.core.llm.config import RamifyConfig
    from ramify.tui.controller import SessionController

__all__ = ["resync_on_open"]


async def resync_on_open(controller: SessionController, config: RamifyConfig) -> list[str]:
    """Resync the session's interrupted remote runs; start-up notices saying what happened."""
    from ramify.core.remote import RemoteError, remote_url_for, resync_remote_runs

    try:
        report = await resync_remote_runs(
            controller.session, lambda alias: remote_url_for(alias, config)
        )
    except RemoteError as error:
        return [f"Remote runs were not resynced: {error}"]
    notices = []
    if report.added:
        await controller.refresh()
        notices.append(f"Resynced {len(report.added)} finished remote message(s) from JetStream.")
    if report.running:
        notices.append(
            f"{len(report.running)} remote run(s) of this session are still running on their "
            "workers; open the session again later to take in the rest."
        )
    return notices
