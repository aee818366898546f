"""Which languages have work for a volunteer: the home page and the choosers lead with them,
and list the others under "Coming soon" (issue #21: no card leads to an empty page)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from typing import Any

from app.db import Conn


def has_work(
    language: dict[str, Any], actions: Collection[str], task_codes: Collection[str]
) -> bool:
    """Whether a card with these `actions` ("speak", "validate", "tasks") has something to do
    in `language`: sentences to record, recordings to check, or a text task open in it
    (`task_codes`: the languages with one)."""
    return bool(
        ("speak" in actions and language.get("sentence_count"))
        or ("validate" in actions and language.get("clip_count"))
        or ("tasks" in actions and language["code"] in task_codes)
    )


def split_by_work(
    languages: Iterable[dict[str, Any]], actions: Collection[str], task_codes: Collection[str] = ()
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The languages with work for these `actions` and those without, each in the list's
    order (by name: a volunteer looks for their language by its name)."""
    ready: list[dict[str, Any]] = []
    soon: list[dict[str, Any]] = []
    for language in languages:
        (ready if has_work(language, actions, task_codes) else soon).append(language)
    return ready, soon


_HAS_RECORDED_OR_SKIPPED = """
SELECT EXISTS (SELECT 1 FROM contributions c
                WHERE c.contributor_id = %(me)s AND c.language_code = %(language)s
                  AND c.kind = 'recording')
    OR EXISTS (SELECT 1 FROM skips s JOIN dataset_rows d ON d.id = s.item_id
                WHERE s.contributor_id = %(me)s AND d.language_code = %(language)s
                  AND d.kind = 'sentence') AS worked
"""


def has_recorded_or_skipped(conn: Conn, contributor_id: uuid.UUID | None, language: str) -> bool:
    """Whether this person ever recorded or skipped a sentence of `language` (so "you have
    recorded or skipped every sentence" can be true); False without a person."""
    if contributor_id is None:
        return False
    row = conn.execute(
        _HAS_RECORDED_OR_SKIPPED, {"me": contributor_id, "language": language}
    ).fetchone()
    return bool(row and row["worked"])
