"""What the workflow view shows, as plain data: states, their tasks and each task's inputs.

Built from a `Workflow` by `board_of` (the one place that reads the workflow's definition),
so the widget imports nothing from `ramify.core`. A task that holds a sub-workflow or a
network says so (`holds`); a sub-workflow's states follow its state, named as the engine
names them in its events (``STATE/TASK/INNER_STATE``), so their tasks show live status too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ramify.core.workflow import Workflow

__all__ = ["BoardState", "BoardTask", "board_of"]


@dataclass(frozen=True, slots=True)
class BoardTask:
    """A task of a state and the tasks whose outputs it reads."""

    name: str
    upstream: tuple[str, ...] = ()
    holds: str = ""
    """What a nested task runs (``workflow NAME``, ``network NAME``); empty for a function."""


@dataclass(frozen=True, slots=True)
class BoardState:
    """A state: its tasks in definition order and the states it may go to next."""

    name: str
    tasks: tuple[BoardTask, ...]
    final: bool = False
    next_states: tuple[str, ...] = ()


def board_of(workflow: Workflow, prefix: str = "") -> tuple[BoardState, ...]:
    """The board of `workflow`: every state with its tasks and transitions, each nested
    sub-workflow's states after the state that holds it (their names start with `prefix`)."""
    board: list[BoardState] = []
    for state in workflow.states.values():
        name = prefix + state.name
        board.append(
            BoardState(
                name=name,
                tasks=tuple(
                    BoardTask(
                        task.name,
                        tuple(source.name for source in task.upstream),
                        "" if task.nested is None else task.nested.label,
                    )
                    for task in state.tasks.values()
                ),
                final=state.final,
                next_states=tuple(
                    dict.fromkeys(prefix + t.target.name for t in workflow.transitions_from(state))
                ),
            )
        )
        for task in state.tasks.values():
            for inner in () if task.nested is None else task.nested.nested_workflows():
                board.extend(board_of(inner, f"{name}/{task.name}/"))
    return tuple(board)
