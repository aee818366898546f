"""The tasks volunteers do, each a `Task` (app/tasks/base.py); see ADR 0010 and docs/tasks.md."""

from __future__ import annotations

from app.errors import NotFound
from app.i18n.text import Text
from app.tasks.base import Task, task_message
from app.tasks.label import LABEL
from app.tasks.speak import SPEAK
from app.tasks.transcribe import TRANSCRIBE
from app.tasks.translate import TRANSLATE

TASKS: tuple[Task, ...] = (SPEAK, TRANSCRIBE, TRANSLATE, LABEL)
TYPED_TASKS: tuple[Task, ...] = (TRANSCRIBE, TRANSLATE, LABEL)


class UnknownTask(NotFound):
    code = "unknown_task"


def task(name: str) -> Task:
    """The task called `name`; raises UnknownTask."""
    for candidate in TASKS:
        if candidate.name == name:
            return candidate
    # Translators: {name} is the task name given, quoted.
    raise UnknownTask(Text("There is no task called {name}.", name=repr(name[:20])))


def task_for_contribution(kind: str) -> Task:
    """The task whose contributions are of `kind` (contributions.kind); raises UnknownTask."""
    for candidate in TASKS:
        if candidate.contribution_kind == kind:
            return candidate
    raise UnknownTask(
        # Translators: {kind} is a contribution kind given, quoted.
        Text("There is no task for contributions of kind {kind}.", kind=repr(kind[:20]))
    )


__all__ = [
    "LABEL", "SPEAK", "TASKS", "TRANSCRIBE", "TRANSLATE", "TYPED_TASKS", "Task", "UnknownTask",
    "task", "task_for_contribution", "task_message", "task_of_kind_sql",
]  # fmt: skip


def task_of_kind_sql(kind_column: str) -> str:
    """A SQL expression naming the task of the contribution kind in `kind_column` (a column
    name of our own, never input): the one place SQL maps contributions.kind to a task."""
    arms = " ".join(f"WHEN '{t.contribution_kind}' THEN '{t.name}'" for t in TASKS)
    return f"CASE {kind_column} {arms} END"
