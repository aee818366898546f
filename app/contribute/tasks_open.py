"""Where each typed task is offered: a language's `language_tasks` row (migration 0010), and
for translate the pairs that have prompts. Speak's openness stays on `languages`. The
refusals are `Text`, answered in the reader's language (a language's name in them is its
`languages.name`, as stored)."""

from __future__ import annotations

import re
from typing import Any

from app.contribute.save import TaskClosed
from app.db import Conn
from app.errors import BadRequest
from app.i18n.text import Text
from app.speak.service import UnknownLanguage
from app.tasks import Task


class SourceRequired(BadRequest):
    """Translate's items asked for without `?from=`. Its own code, not invalid_input: the
    parameter is required for one task of the path only, which the OpenAPI document cannot
    say of a parameter, so a request valid against it can meet this."""

    code = "source_required"


_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")

_TASK_LANGUAGE = """
SELECT l.code, l.name, l.native_name, l.script, l.direction,
       t.is_open AND l.is_active AS is_open, t.cap
  FROM languages l LEFT JOIN language_tasks t ON t.language_code = l.code AND t.task = %(task)s
 WHERE l.code = %(code)s AND l.is_active
"""
_HAS_PAIR = """
SELECT 1 FROM dataset_rows
 WHERE language_code = %(code)s AND source_language_code = %(source)s AND kind = 'prompt'
 LIMIT 1
"""


def get_task_language(
    conn: Conn, task: Task, code: str, *, source: str | None = None, picking: bool = False
) -> dict[str, Any]:
    """The active language `code` with its row for `task` (cap, open). Raises
    UnknownLanguage, TaskClosed (no row, or closed); translate, when `picking`, needs a
    `source` with prompts into this language (else UnknownLanguage names the pair)."""
    if not _LANGUAGE_CODE.fullmatch(code):
        raise UnknownLanguage(_no_language(code))
    row = conn.execute(_TASK_LANGUAGE, {"code": code, "task": task.name}).fetchone()
    if row is None:
        raise UnknownLanguage(_no_language(code))
    if not row["is_open"]:
        raise TaskClosed(
            # Translators: {language} is a language's name.
            Text("{language} is not open for this task at the moment.", language=row["name"])
        )
    if task.by_source and picking:
        if source is None:
            raise SourceRequired(
                # Translators: "?from=hi" is part of an address; keep it as it is.
                Text("Say which language to translate from, for example ?from=hi."),
                field="from",
            )
        if (
            not _LANGUAGE_CODE.fullmatch(source)
            or conn.execute(_HAS_PAIR, {"code": code, "source": source}).fetchone() is None
        ):
            raise UnknownLanguage(
                # Translators: {source} is the language code given, quoted; {language} the
                # name of the language to translate into.
                Text(
                    "There are no sentences to translate from {source} into {language}.",
                    source=repr(source[:20]),
                    language=row["name"],
                )
            )
    return row


def _no_language(code: str) -> Text:
    # Translators: {code} is the language code given, quoted.
    return Text("There is no language with code {code}.", code=repr(code[:20]))


_OPEN_TASKS = """
SELECT t.task, t.language_code AS language, d.source_language_code AS source_language,
       count(d.id) FILTER (WHERE d.contribution_count < t.cap) AS items_open
  FROM language_tasks t
  JOIN languages l ON l.code = t.language_code AND l.is_active
  JOIN dataset_rows d ON d.language_code = t.language_code AND d.is_active
   AND d.kind = CASE t.task WHEN 'transcribe' THEN 'audio' WHEN 'label' THEN 'image'
                            ELSE 'prompt' END
 WHERE t.is_open
 GROUP BY t.task, t.language_code, d.source_language_code
 ORDER BY t.task, t.language_code, d.source_language_code
"""


def open_tasks(conn: Conn) -> list[dict[str, Any]]:
    """Each open typed task per language (translate: per source language) with its count of
    items still under the cap. Read on the chooser pages; small (a row per language pair)."""
    return [
        {**row, "items_open": int(row["items_open"])}
        for row in conn.execute(_OPEN_TASKS).fetchall()
    ]
