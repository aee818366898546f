"""What a task is: the few things speak, transcribe, translate and label differ in (ADR 0010).

Everything else (picking items, the count at the write, the queue, votes, trust, reports,
skips, exports) is written once and reads the task. A task is a constant in its own module
(`app/tasks/speak.py`, ...), listed in `app/tasks/__init__.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.tasks.statements import TaskStatements, build_statements

_NAME = re.compile(r"[a-z_]+")


@dataclass(frozen=True)
class Task:
    """One task. The kinds and `attention_ms` go into its SQL as literals (see statements.py),
    so they are fixed strings written in the task's module, never input."""

    name: str  # speak | transcribe | translate | label: URLs, settings, standing
    item_kind: str  # dataset_rows.kind of the items worked on: sentence | audio | prompt | image
    contribution_kind: str  # contributions.kind: recording | transcription | translation | label
    takes: str  # "audio" (an upload, checked by app.audio) or "text"
    corrections: bool  # may a validator answer "needs a change" with a corrected text?
    own_items_validatable: bool  # may you validate others' work on an item you contributed to?
    # SQL over `c` (the contribution): how long, in ms, a validator must have had it before a
    # vote counts, before the listen percentage is applied.
    attention_ms: str
    # SQL over `d` (the item): what the validate queue shows of the item, as its API names it.
    queue_item: str
    report_reasons: tuple[str, ...]
    check: Callable[..., Any]  # checks a contribution, raising a refusal; returns its measures
    reference_score: Callable[..., float] | None  # pre-check against a reference, if any
    exporter: str  # the app/export writer of its dataset
    sql: TaskStatements = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (self.name, self.item_kind, self.contribution_kind):
            if not _NAME.fullmatch(name):
                raise ValueError(f"a task's names are [a-z_]+, not {name!r}")
        if self.takes not in ("audio", "text"):
            raise ValueError(f"a task takes audio or text, not {self.takes!r}")
        # Built once, here, from this task's own constants (frozen: set past __setattr__).
        object.__setattr__(
            self,
            "sql",
            build_statements(
                item_kind=self.item_kind,
                contribution_kind=self.contribution_kind,
                attention_ms=self.attention_ms,
                queue_item=self.queue_item,
            ),
        )
