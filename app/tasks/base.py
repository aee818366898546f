"""What a task is: the few things speak, transcribe, translate and label differ in (ADR 0010).

Everything else (picking items, the count at the write, the queue, votes, trust, reports,
skips, exports) is written once and reads the task. A task is a constant in its own module
(`app/tasks/speak.py`, ...), listed in `app/tasks/__init__.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.i18n.text import Text
from app.tasks.statements import SPEAK_LOOKUP, TaskStatements, build_statements

# What the write path reads of an item of a typed task, beside the rules' columns.
TEXT_ITEM_EXTRA = """,
       d.media_key, d.media_duration_ms, d.media_measures, d.source_item_id,
       d.source_language_code, (SELECT s.text FROM dataset_rows s WHERE s.id = d.source_item_id)
           AS source_text"""

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
    reference_score: Callable[..., Any] | None  # pre-check against a reference (a Score), if any
    exporter: str  # the app/export writer of its dataset
    # SQL over `k` (the walked index entry), `d` (the item): the text the pick shows, or NULL.
    item_lookup: str = SPEAK_LOOKUP
    # "languages" (speak's cap, openness and goal) or "language_tasks" (a row per language).
    home: str = "languages"
    by_source: bool = False  # items picked per source language too (translate)
    label: str = "contribution"  # what a person calls one: "recording", "transcript", ...
    sql: TaskStatements = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (self.name, self.item_kind, self.contribution_kind):
            if not _NAME.fullmatch(name):
                raise ValueError(f"a task's names are [a-z_]+, not {name!r}")
        if self.takes not in ("audio", "text"):
            raise ValueError(f"a task takes audio or text, not {self.takes!r}")
        if self.home not in ("languages", "language_tasks"):
            raise ValueError(f"a task's home is languages or language_tasks, not {self.home!r}")
        # Built once, here, from this task's own constants (frozen: set past __setattr__).
        object.__setattr__(
            self,
            "sql",
            build_statements(
                task=self.name,
                item_kind=self.item_kind,
                contribution_kind=self.contribution_kind,
                attention_ms=self.attention_ms,
                queue_item=self.queue_item,
                item_lookup=self.item_lookup,
                item_extra="" if self.home == "languages" else TEXT_ITEM_EXTRA,
                on_languages=self.home == "languages",
                by_source=self.by_source,
                own_items_validatable=self.own_items_validatable,
            ),
        )


def task_message(messages: Mapping[str, Text], task: Task, **params: Any) -> Text:
    """`task`'s own sentence among `messages` (keyed by task name, each a `Text` written out
    whole, placeholders unfilled), filled with `params`. A message that speaks of a clip, a
    sentence or an image is one sentence per task, never a noun put into a shared sentence:
    a translator cannot agree the rest of their sentence with an English word."""
    return Text(messages[task.name].msgid, **params)
