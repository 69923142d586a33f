"""What the workflow view shows, as plain data: states, their tasks and each task's inputs.

Built from a `Workflow` by `board_of` (the one place that reads the workflow's definition),
so the widget imports nothing from `ramify.core`.
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


@dataclass(frozen=True, slots=True)
class BoardState:
    """A state: its tasks in definition order and the states it may go to next."""

    name: str
    tasks: tuple[BoardTask, ...]
    final: bool = False
    next_states: tuple[str, ...] = ()


def board_of(workflow: Workflow) -> tuple[BoardState, ...]:
    """The board of `workflow`: every state with its tasks and transitions."""
    return tuple(
        BoardState(
            name=state.name,
            tasks=tuple(
                BoardTask(task.name, tuple(source.name for source in task.upstream))
                for task in state.tasks.values()
            ),
            final=state.final,
            next_states=tuple(
                dict.fromkeys(t.target.name for t in workflow.transitions_from(state))
            ),
        )
        for state in workflow.states.values()
    )
