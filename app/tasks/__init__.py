"""The tasks volunteers do, each a `Task` (app/tasks/base.py); see ADR 0010 and docs/tasks.md."""

from __future__ import annotations

from app.errors import NotFound
from app.tasks.base import Task
from app.tasks.speak import SPEAK

TASKS: tuple[Task, ...] = (SPEAK,)


class UnknownTask(NotFound):
    code = "unknown_task"


def task(name: str) -> Task:
    """The task called `name`; raises UnknownTask."""
    for candidate in TASKS:
        if candidate.name == name:
            return candidate
    raise UnknownTask(f"There is no task called {name[:20]!r}.")


def task_for_contribution(kind: str) -> Task:
    """The task whose contributions are of `kind` (contributions.kind); raises UnknownTask."""
    for candidate in TASKS:
        if candidate.contribution_kind == kind:
            return candidate
    raise UnknownTask(f"There is no task for contributions of kind {kind[:20]!r}.")


__all__ = ["SPEAK", "TASKS", "Task", "UnknownTask", "task", "task_for_contribution"]
