"""Speak's statements, built from the task templates, are exactly the SQL speak ran before
the move to tasks (issue #18, ADR 0010). The text below was copied once from
`app/speak/service.py` and `app/validate/service.py` as they were at 5941e04, so the move
changes no statement and no plan; a deliberate change of speak's SQL changes it here too."""

from __future__ import annotations

from dataclasses import fields

import pytest

from app.speak import service as speak_service
from app.tasks import SPEAK, Task, UnknownTask, task, task_for_contribution
from app.tasks.statements import TaskStatements
from app.validate import service as validate_service

PICK_SENTENCES = """
WITH bounds AS (
    SELECT min(id) AS lo, max(id) AS hi FROM dataset_rows
     WHERE language_code = %(language)s AND kind = 'sentence'
), pivot AS (
    SELECT coalesce(lo + floor(random() * (hi - lo + 1))::bigint, 0) AS id FROM bounds
), lowest AS (
    SELECT coalesce(min(contribution_count), 0) AS n FROM dataset_rows
     WHERE language_code = %(language)s AND kind = 'sentence' AND is_active
), candidates AS (
    SELECT picked.*
      FROM generate_series(0, 99) AS level(n)  -- every possible cap: CHECK (... BETWEEN 1 AND 100)
     CROSS JOIN LATERAL (
        (SELECT k.id, x.text, k.contribution_count, 0 AS part
           FROM dataset_rows k
          CROSS JOIN LATERAL (SELECT d.text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = 'sentence' AND k.is_active
            AND k.contribution_count <= level.n
            AND (k.contribution_count, k.id) >= (level.n, (SELECT id FROM pivot))
            AND NOT EXISTS (SELECT 1 FROM contributions c
                             WHERE c.contributor_id = %(me)s AND c.item_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM skips s
                             WHERE s.contributor_id = %(me)s AND s.item_id = k.id)
          ORDER BY k.contribution_count, k.id
          LIMIT 20)  -- MAX_PICK: a constant, so the prepared statement's generic plan fits
        UNION ALL
        (SELECT k.id, x.text, k.contribution_count, 1 AS part
           FROM dataset_rows k
          CROSS JOIN LATERAL (SELECT d.text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = 'sentence' AND k.is_active
            AND k.contribution_count >= level.n
            AND (k.contribution_count, k.id) < (level.n, (SELECT id FROM pivot))
            AND NOT EXISTS (SELECT 1 FROM contributions c
                             WHERE c.contributor_id = %(me)s AND c.item_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM skips s
                             WHERE s.contributor_id = %(me)s AND s.item_id = k.id)
          ORDER BY k.contribution_count DESC, k.id DESC
          LIMIT 20)  -- MAX_PICK: a constant, so the prepared statement's generic plan fits
     ) AS picked
     WHERE level.n >= (SELECT n FROM lowest) AND level.n < %(cap)s
)
SELECT id, text FROM candidates ORDER BY contribution_count, part, id LIMIT %(count)s
"""

SENTENCE_TO_RECORD = """
SELECT d.id, d.language_code, d.text, d.is_active, d.contribution_count, d.report_count,
       l.is_active AS language_open, l.max_recordings_per_item AS cap
  FROM dataset_rows d JOIN languages l ON l.code = d.language_code
 WHERE d.id = %s AND d.kind = 'sentence'
"""

COUNT_RECORDING = """
UPDATE dataset_rows d SET contribution_count = d.contribution_count + 1
  FROM languages l
 WHERE d.id = %(item_id)s AND l.code = d.language_code
   AND d.is_active AND l.is_active
   AND d.contribution_count < l.max_recordings_per_item
   AND d.report_count < %(report_limit)s
RETURNING d.id
"""

INSERT_RECORDING = """
INSERT INTO contributions (
    public_id, contributor_id, item_id, language_code, kind, idempotency_key, media_key,
    media_type, size_bytes, duration_ms, snr_db, audio_measures, device, browser,
    age_group, gender, mother_tongue, region_code)
SELECT %(public_id)s, p.id, %(item_id)s, %(language)s, 'recording', %(key)s, %(media_key)s,
       %(media_type)s, %(size)s, %(duration_ms)s, %(snr_db)s, %(measures)s, %(device)s, %(browser)s,
       p.age_group, p.gender, p.mother_tongue, p.region_code
  FROM contributors p WHERE p.id = %(contributor)s
RETURNING public_id::text AS id, item_id, language_code AS language, duration_ms, status
"""

PICK_CLIPS = """
SELECT c.id AS row_id, c.public_id::text AS id, d.text AS sentence, c.duration_ms,
       greatest(c.accept_count, c.reject_count) AS closeness, c.created_at AS made
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.language_code = %(language)s AND c.status = 'pending' AND c.kind = 'recording'
   AND c.contributor_id <> %(me)s
   AND c.report_count < %(report_limit)s AND d.report_count < %(report_limit)s AND d.is_active
   AND NOT EXISTS (SELECT 1 FROM validations v
                    WHERE v.contribution_id = c.id AND v.validator_id = %(me)s)
   AND NOT EXISTS (SELECT 1 FROM skips s
                    WHERE s.contribution_id = c.id AND s.contributor_id = %(me)s)
 ORDER BY greatest(c.accept_count, c.reject_count) DESC, c.created_at, c.id
 LIMIT %(count)s
"""

PICK_AND_SERVE = """
WITH picked AS (
SELECT c.id AS row_id, c.public_id::text AS id, d.text AS sentence, c.duration_ms,
       greatest(c.accept_count, c.reject_count) AS closeness, c.created_at AS made
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.language_code = %(language)s AND c.status = 'pending' AND c.kind = 'recording'
   AND c.contributor_id <> %(me)s
   AND c.report_count < %(report_limit)s AND d.report_count < %(report_limit)s AND d.is_active
   AND NOT EXISTS (SELECT 1 FROM validations v
                    WHERE v.contribution_id = c.id AND v.validator_id = %(me)s)
   AND NOT EXISTS (SELECT 1 FROM skips s
                    WHERE s.contribution_id = c.id AND s.contributor_id = %(me)s)
 ORDER BY greatest(c.accept_count, c.reject_count) DESC, c.created_at, c.id
 LIMIT %(count)s
), served AS (
    INSERT INTO clip_servings (contributor_id, contribution_id)
    SELECT %(me)s, row_id FROM picked
        ON CONFLICT (contributor_id, contribution_id) DO NOTHING
)
SELECT * FROM picked ORDER BY closeness DESC, made, row_id
"""

GET_RECORDING = """
SELECT id, public_id, contributor_id, language_code, media_key, media_type, status,
       known_answer
  FROM contributions WHERE public_id = %s AND kind = 'recording'
"""

LOCK_RECORDING = """
SELECT c.id, c.contributor_id, c.accept_count, c.reject_count, c.status, c.known_answer,
       c.known_answer_source, l.is_active AS language_open, d.is_active AS item_active,
       s.served_at IS NOT NULL AS served,
       s.served_at >= c.decided_at AS served_decided,
       s.served_at <= now() - make_interval(secs => c.duration_ms * %(listen)s / 100000.0)
           AS listened,
       v.verdict AS previous
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
  JOIN languages l ON l.code = c.language_code
  LEFT JOIN clip_servings s ON s.contribution_id = c.id AND s.contributor_id = %(me)s
  LEFT JOIN validations v ON v.contribution_id = c.id AND v.validator_id = %(me)s
 WHERE c.public_id = %(id)s AND c.kind = 'recording'
   FOR NO KEY UPDATE OF c
"""

SKIPPABLE_SENTENCE = "SELECT 1 FROM dataset_rows WHERE id = %s AND kind = 'sentence' AND is_active"

SPEAK_BEFORE = {
    "pick_items": PICK_SENTENCES,
    "item_to_contribute": SENTENCE_TO_RECORD,
    "count_contribution": COUNT_RECORDING,
    "insert_upload": INSERT_RECORDING,
    "pick_to_validate": PICK_CLIPS,
    "pick_and_serve": PICK_AND_SERVE,
    "get_contribution": GET_RECORDING,
    "lock_contribution": LOCK_RECORDING,
    "skippable_item": SKIPPABLE_SENTENCE,
}


@pytest.mark.parametrize("name", sorted(SPEAK_BEFORE))
def test_speak_statements_are_the_sql_speak_ran_before_tasks(name: str) -> None:
    assert getattr(SPEAK.sql, name) == SPEAK_BEFORE[name]


def test_speak_and_validate_keep_their_statement_names_as_speaks_statements() -> None:
    # The plan tests import these names: they must be the statements speak really runs.
    assert speak_service._PICK_SENTENCES is SPEAK.sql.pick_items
    assert speak_service._SENTENCE_TO_RECORD is SPEAK.sql.item_to_contribute
    assert speak_service._COUNT_RECORDING is SPEAK.sql.count_contribution
    assert speak_service._INSERT_RECORDING is SPEAK.sql.insert_upload
    assert validate_service._PICK_CLIPS is SPEAK.sql.pick_to_validate
    assert validate_service._PICK_AND_SERVE is SPEAK.sql.pick_and_serve
    assert validate_service._GET_RECORDING is SPEAK.sql.get_contribution
    assert validate_service._LOCK_RECORDING is SPEAK.sql.lock_contribution


def test_tasks_are_found_by_name_and_by_contribution_kind() -> None:
    assert task("speak") is SPEAK
    assert task_for_contribution("recording") is SPEAK
    with pytest.raises(UnknownTask):
        task("dance")
    assert task_for_contribution("transcription") is task("transcribe")
    with pytest.raises(UnknownTask):
        task_for_contribution("dance")


def test_a_task_refuses_a_kind_that_is_not_a_plain_name() -> None:
    # The kinds are written into SQL as literals: only [a-z_]+ may get there.
    with pytest.raises(ValueError):
        Task(
            name="speak", item_kind="sentence' OR true --", contribution_kind="recording",
            takes="audio", corrections=False, own_items_validatable=True,
            attention_ms="c.duration_ms", queue_item="d.text AS sentence", report_reasons=(),
            check=lambda data: data, reference_score=None, exporter="commonvoice",
        )  # fmt: skip


# Built per task since migration 0010 (standing per task, typed contributions): new SQL, not
# speak's old text; the plan tests explain speak's trust statements under their old names.
NEW_WITH_TASKS = {
    "insert_text", "count_correction", "pools_ready", "pick_known", "make_standing",
    "lock_standing", "upsert_standing", "read_standing",
}  # fmt: skip


def test_every_statement_speak_builds_is_pinned_or_new_with_tasks() -> None:
    assert set(SPEAK_BEFORE) | NEW_WITH_TASKS == {f.name for f in fields(TaskStatements)}
