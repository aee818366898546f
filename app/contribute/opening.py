"""Opening a typed task in a language, and making its items where they come from other rows:
translate's prompts (one per source sentence and target language) and transcribe's clips
made from accepted recordings (ADR 0010 §2). Run by `crowdsource tasks` and the demo, never by
a request: its messages are for operators, in English (not `Text`)."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from app.db import Conn
from app.errors import BadRequest
from app.speak.service import UnknownLanguage
from app.tasks import TRANSCRIBE, TRANSLATE, Task

_UPSERT = """
INSERT INTO language_tasks AS t (language_code, task, is_open, cap, goal, votes_to_decide,
                                 from_recordings)
VALUES (%(language)s, %(task)s, %(is_open)s, coalesce(%(cap)s, 1), %(goal)s,
        %(votes_to_decide)s, coalesce(%(from_recordings)s, false))
    ON CONFLICT (language_code, task) DO UPDATE SET
       is_open = EXCLUDED.is_open,
       cap = coalesce(%(cap)s, t.cap),
       goal = coalesce(%(goal)s, t.goal),
       votes_to_decide = coalesce(%(votes_to_decide)s, t.votes_to_decide),
       from_recordings = coalesce(%(from_recordings)s, t.from_recordings),
       changed_at = now()
RETURNING language_code AS language, task, is_open, cap, goal, votes_to_decide, from_recordings
"""


def set_task(
    conn: Conn,
    task: Task,
    language: str,
    *,
    is_open: bool = True,
    cap: int | None = None,
    goal: int | None = None,
    votes_to_decide: int | None = None,
    from_recordings: bool | None = None,
) -> dict[str, Any]:
    """Open (or close) `task` in `language`, changing only the numbers given. Raises
    UnknownLanguage and BadRequest for a value out of range."""
    if task.home != "language_tasks":
        raise BadRequest(f"{task.name} is opened per language with `crowdsource languages set`.")
    if conn.execute("SELECT 1 FROM languages WHERE code = %s", (language,)).fetchone() is None:
        raise UnknownLanguage(f"There is no language with code {language[:20]!r}.")
    for name, value, low, high in (
        ("cap", cap, 1, 100), ("votes_to_decide", votes_to_decide, 1, 15),
        ("goal", goal, 1, 10**15),
    ):  # fmt: skip
        if value is not None and not low <= value <= high:
            raise BadRequest(f"{name} must be {low}..{high}, not {value}.", field=name)
    if from_recordings and task is not TRANSCRIBE:
        raise BadRequest(
            "Only transcribe takes its clips from recordings.", field="from_recordings"
        )
    row = conn.execute(
        _UPSERT,
        {
            "language": language, "task": task.name, "is_open": is_open, "cap": cap,
            "goal": goal, "votes_to_decide": votes_to_decide, "from_recordings": from_recordings,
        },
    ).fetchone()  # fmt: skip
    assert row is not None
    return row


_BATCH = """
INSERT INTO ingest_batches (kind, language_code, source, options)
VALUES ('prompt', %(target)s, %(label)s, %(options)s) RETURNING id
"""
# Every active sentence of the source language without a prompt into the target yet; a
# sentence whose parallel row already has the target's sentence carries it as the prompt's
# reference (the pre-check compares with it), or is left out with `skip_translated`.
_PROMPTS = """
INSERT INTO dataset_rows (language_code, kind, text, source_item_id, source_language_code,
                          batch_id)
SELECT %(target)s, 'prompt', t.text, s.id, s.language_code, %(batch)s
  FROM dataset_rows s
  LEFT JOIN dataset_rows t ON t.parallel_row_id = s.parallel_row_id
                          AND t.language_code = %(target)s AND t.kind = 'sentence'
 WHERE s.language_code = %(source)s AND s.kind = 'sentence' AND s.is_active
   AND (NOT %(skip_translated)s OR t.id IS NULL)
 ORDER BY s.id
    ON CONFLICT DO NOTHING
"""


def make_prompts(
    conn: Conn, source: str, target: str, *, skip_translated: bool = False
) -> dict[str, Any]:
    """Translate's items for the pair source → target, as one ingest batch (so `crowdsource
    ingest retire|activate` works on them); a second run adds only new sentences' prompts.
    Returns {"batch": id, "added": n}. Raises UnknownLanguage, BadRequest (same language)."""
    if source == target:
        raise BadRequest("A sentence is translated into another language.", field="to")
    for code in (source, target):
        if conn.execute("SELECT 1 FROM languages WHERE code = %s", (code,)).fetchone() is None:
            raise UnknownLanguage(f"There is no language with code {code[:20]!r}.")
    with conn.transaction():
        batch = conn.execute(
            _BATCH,
            {
                "target": target, "label": f"prompts {source}->{target}",
                "options": Jsonb({"from": source, "skip_translated": skip_translated}),
            },
        ).fetchone()  # fmt: skip
        assert batch is not None
        added = conn.execute(
            _PROMPTS,
            {"source": source, "target": target, "batch": batch["id"],
             "skip_translated": skip_translated},
        ).rowcount  # fmt: skip
        conn.execute(
            "UPDATE ingest_batches SET added_count = %s WHERE id = %s", (added, batch["id"])
        )
    return {"batch": batch["id"], "added": added, "task": TRANSLATE.name}


_FROM_RECORDINGS = """
INSERT INTO dataset_rows (language_code, kind, text, media_key, media_duration_ms,
                          source_contribution_id)
SELECT c.language_code, 'audio', d.text, c.media_key, c.duration_ms, c.id
  FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.language_code = %(language)s AND c.kind = 'recording' AND c.status = 'accepted'
    ON CONFLICT DO NOTHING
"""


def items_from_recordings(conn: Conn, language: str) -> int:
    """Transcribe items made from the accepted recordings of `language` not made into one yet
    (the recording's object, its duration, its sentence as the reference). Returns how many."""
    return conn.execute(_FROM_RECORDINGS, {"language": language}).rowcount


def made_from_recordings(conn: Conn) -> int:
    """For every language whose transcribe task takes recordings (and is open): the clips of
    the recordings accepted since the last run. Run by the dashboard refresh."""
    made = 0
    for row in conn.execute(
        "SELECT language_code FROM language_tasks"
        " WHERE task = 'transcribe' AND from_recordings AND is_open ORDER BY language_code"
    ).fetchall():
        made += items_from_recordings(conn, row["language_code"])
    return made
