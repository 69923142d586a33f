"""``ramify runs [--waiting]``: the runs of the session database, oldest first; with
``--waiting``, only those stopped at an approval or a breakpoint, each with what it waits for
and the interrupt's node (answer it in the IDE, or with `answer_interrupt`)."""

from __future__ import annotations

import time

from ramify.core import Session, Store
from ramify.core.errors import NotFound
from ramify.core.runs import RunStatus

from .sanitize import snippet
from .session_commands import OK, _with_store

__all__ = ["runs_command"]


async def runs_command(*, waiting: bool = False, store: str | None = None) -> int:
    """Print the runs (only the waiting ones with `waiting`), one line each."""

    async def body(store: Store) -> int:
        runs = await store.list_runs()
        if waiting:
            runs = [run for run in runs if run.status is RunStatus.WAITING]
        if not runs:
            print("no waiting runs" if waiting else "no runs yet: run `ramify` to start one")
            return OK
        print(f"{'RUN':<12}  {'SESSION':<12}  {'STARTED (UTC)':<16}  {'STATUS':<11}  AGENT")
        sessions: dict[str, Session] = {}
        for run in runs:
            started = time.strftime("%Y-%m-%d %H:%M", time.gmtime(run.started_at))
            session_id = run.session_id or ""
            line = (
                f"{run.id[:12]:<12}  {session_id[:12]:<12}  {started:<16}  "
                f"{run.status.value:<11}  {snippet(run.agent, 40)}"
            )
            if run.status is RunStatus.WAITING and run.output_nodes and session_id:
                node = run.output_nodes[-1]
                try:
                    if session_id not in sessions:
                        sessions[session_id] = Session(store, await store.get_session(session_id))
                    text = (await sessions[session_id].message(node)).text
                except NotFound:
                    text = "(its session is gone)"
                line += f"  waits at {node[:12]}: {snippet(text, 60)}"
            print(line)
        return OK

    return await _with_store(body, store)
