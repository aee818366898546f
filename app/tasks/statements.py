"""The hot SQL of every task, written once as templates and built per task at import (ADR 0010).

A template's slots are filled from the task's own constants, never from input: the kinds as
literals (the partial indexes and the prepared statements' generic plans depend on them, and
the plan tests pass no `kind` parameter) and a few fixed fragments written in the task's
module. Speak's built statements are the SQL speak has always run; a test pins them
(tests/test_task_statements.py). Statements that name no kind (the vote, the servings, the
idempotency look-ups) are not here: they are the same for every task already.

Where the cap and "open" come from is still `languages` (speak's home for them); it becomes a
slot when the other tasks' `language_tasks` arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

# Fewest contributions first, randomised among equals. For each contribution count from the
# lowest there is up to the cap, two walks of the index (language, kind, contribution_count,
# id) from a random pivot id, one above it and one below, each stopping after `count` rows:
# the cost is that of reading a few rows per walk, however many items there are.
# Why this shape: one walk over all counts (`contribution_count < cap AND id >= pivot`) cannot
# start at the pivot, so it read every entry of the lowest count below the pivot first: half
# the language's sentences once most have the same count, as fewest-first makes them (5 ms at
# 250k sentences). `k` names only indexed columns, so each walk is an index-only scan; the
# row's text and report count are read for the rows the walk keeps (`OFFSET 0` keeps that
# lookup a per-row nested loop; flattened, the planner preferred walking the primary key).
# The bounds are written on (contribution_count, id) together, which only this index can
# serve: with a plain `id >= pivot` the planner may walk the primary key from the pivot
# instead (it did on a table with many fresh updates), which is long when the level is
# sparse. `count <= n AND (count, id) >= (n, pivot)` is `count = n AND id >= pivot` in a
# form that starts the walk at (n, pivot) and ends it at the level's end.
# The levels are a constant series filtered, not generate_series(lowest, cap - 1): with
# computed bounds the planner guessed 1,000 levels, judged the generic plan of the prepared
# statement too costly and planned every execution afresh (0.6 ms, more than running it);
# for the same reason each walk stops at MAX_PICK rows, a constant, and only the final LIMIT
# is the request's count.
MAX_PICK = 20
_PICK_ITEMS = """
WITH bounds AS (
    SELECT min(id) AS lo, max(id) AS hi FROM dataset_rows
     WHERE language_code = %(language)s AND kind = '{item_kind}'
), pivot AS (
    SELECT coalesce(lo + floor(random() * (hi - lo + 1))::bigint, 0) AS id FROM bounds
), lowest AS (
    SELECT coalesce(min(contribution_count), 0) AS n FROM dataset_rows
     WHERE language_code = %(language)s AND kind = '{item_kind}' AND is_active
), candidates AS (
    SELECT picked.*
      FROM generate_series(0, 99) AS level(n)  -- every possible cap: CHECK (... BETWEEN 1 AND 100)
     CROSS JOIN LATERAL (
        (SELECT k.id, x.text, k.contribution_count, 0 AS part
           FROM dataset_rows k
          CROSS JOIN LATERAL (SELECT d.text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = '{item_kind}' AND k.is_active
            AND k.contribution_count <= level.n
            AND (k.contribution_count, k.id) >= (level.n, (SELECT id FROM pivot))
            AND NOT EXISTS (SELECT 1 FROM contributions c
                             WHERE c.contributor_id = %(me)s AND c.item_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM skips s
                             WHERE s.contributor_id = %(me)s AND s.item_id = k.id)
          ORDER BY k.contribution_count, k.id
          LIMIT {max_pick})  -- MAX_PICK: a constant, so the prepared statement's generic plan fits
        UNION ALL
        (SELECT k.id, x.text, k.contribution_count, 1 AS part
           FROM dataset_rows k
          CROSS JOIN LATERAL (SELECT d.text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = '{item_kind}' AND k.is_active
            AND k.contribution_count = level.n
            AND (k.contribution_count, k.id) < (level.n, (SELECT id FROM pivot))
            AND NOT EXISTS (SELECT 1 FROM contributions c
                             WHERE c.contributor_id = %(me)s AND c.item_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM skips s
                             WHERE s.contributor_id = %(me)s AND s.item_id = k.id)
          ORDER BY k.contribution_count, k.id
          LIMIT {max_pick})  -- MAX_PICK: a constant, so the prepared statement's generic plan fits
     ) AS picked
     WHERE level.n >= (SELECT n FROM lowest) AND level.n < %(cap)s
)
SELECT id, text FROM candidates ORDER BY contribution_count, part, id LIMIT %(count)s
"""

# Everything that decides whether an item may be contributed to now, in one row: the caller
# says which rule refused it. The count at the write applies the same rules again, which is
# what makes them hold under concurrency; this read only lets a refusal come early.
_ITEM_TO_CONTRIBUTE = """
SELECT d.id, d.language_code, d.text, d.is_active, d.contribution_count, d.report_count,
       l.is_active AS language_open, l.max_recordings_per_item AS cap
  FROM dataset_rows d JOIN languages l ON l.code = d.language_code
 WHERE d.id = %s AND d.kind = '{item_kind}'
"""

_SKIPPABLE_ITEM = "SELECT 1 FROM dataset_rows WHERE id = %s AND kind = '{item_kind}' AND is_active"

# The rules, at the write: the item's row is counted only while it is active, its language
# open, its count under the cap and it is not hidden by reports. The UPDATE takes the row's
# lock, so concurrent contributions to one item take turns and each sees the count the
# previous one left: with one slot left, exactly one of them gets it.
_COUNT_CONTRIBUTION = """
UPDATE dataset_rows d SET contribution_count = d.contribution_count + 1
  FROM languages l
 WHERE d.id = %(item_id)s AND l.code = d.language_code
   AND d.is_active AND l.is_active
   AND d.contribution_count < l.max_recordings_per_item
   AND d.report_count < %(report_limit)s
RETURNING d.id
"""

# An uploaded contribution's row, with a snapshot of the person's demographics.
_INSERT_UPLOAD = """
INSERT INTO contributions (
    public_id, contributor_id, item_id, language_code, kind, idempotency_key, media_key,
    media_type, size_bytes, duration_ms, snr_db, audio_measures, device, browser,
    age_group, gender, mother_tongue, region_code)
SELECT %(public_id)s, p.id, %(item_id)s, %(language)s, '{contribution_kind}', %(key)s, %(media_key)s,
       %(media_type)s, %(size)s, %(duration_ms)s, %(snr_db)s, %(measures)s, %(device)s, %(browser)s,
       p.age_group, p.gender, p.mother_tongue, p.region_code
  FROM contributors p WHERE p.id = %(contributor)s
RETURNING public_id::text AS id, item_id, language_code AS language, duration_ms, status
"""  # noqa: E501 (the slot is longer than the kind it holds: built, the line fits)

# The validate queue: never your own, never one you voted on or skipped, nothing hidden by
# reports; closest to a decision first, then oldest.
_PICK_TO_VALIDATE = """
SELECT c.id AS row_id, c.public_id::text AS id, {queue_item}, c.duration_ms,
       greatest(c.accept_count, c.reject_count) AS closeness, c.created_at AS made
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.language_code = %(language)s AND c.status = 'pending' AND c.kind = '{contribution_kind}'
   AND c.contributor_id <> %(me)s
   AND c.report_count < %(report_limit)s AND d.report_count < %(report_limit)s AND d.is_active
   AND NOT EXISTS (SELECT 1 FROM validations v
                    WHERE v.contribution_id = c.id AND v.validator_id = %(me)s)
   AND NOT EXISTS (SELECT 1 FROM skips s
                    WHERE s.contribution_id = c.id AND s.contributor_id = %(me)s)
 ORDER BY greatest(c.accept_count, c.reject_count) DESC, c.created_at, c.id
 LIMIT %(count)s
"""

# The pick, and the first time this session was handed each contribution remembered, in one
# statement (a vote counts only after the contribution could be heard or read).
_PICK_AND_SERVE = """
WITH picked AS ({pick}), served AS (
    INSERT INTO clip_servings (contributor_id, contribution_id)
    SELECT %(me)s, row_id FROM picked
        ON CONFLICT (contributor_id, contribution_id) DO NOTHING
)
SELECT * FROM picked ORDER BY closeness DESC, made, row_id
"""

_GET_CONTRIBUTION = """
SELECT id, public_id, contributor_id, language_code, media_key, media_type, status,
       known_answer
  FROM contributions WHERE public_id = %s AND kind = '{contribution_kind}'
"""

# Everything the rules need, read under the contribution's lock: the vote that follows is
# decided on this row, and a concurrent vote on the contribution waits for this one.
_LOCK_CONTRIBUTION = """
SELECT c.id, c.contributor_id, c.accept_count, c.reject_count, c.status, c.known_answer,
       c.known_answer_source, l.is_active AS language_open, d.is_active AS item_active,
       s.served_at IS NOT NULL AS served,
       s.served_at >= c.decided_at AS served_decided,
       s.served_at <= now() - make_interval(secs => {attention_ms} * %(listen)s / 100000.0)
           AS listened,
       v.verdict AS previous
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
  JOIN languages l ON l.code = c.language_code
  LEFT JOIN clip_servings s ON s.contribution_id = c.id AND s.contributor_id = %(me)s
  LEFT JOIN validations v ON v.contribution_id = c.id AND v.validator_id = %(me)s
 WHERE c.public_id = %(id)s AND c.kind = '{contribution_kind}'
   FOR NO KEY UPDATE OF c
"""


@dataclass(frozen=True)
class TaskStatements:
    """One task's hot statements, ready to run."""

    pick_items: str
    item_to_contribute: str
    skippable_item: str
    count_contribution: str
    insert_upload: str
    pick_to_validate: str
    pick_and_serve: str
    get_contribution: str
    lock_contribution: str


def build_statements(
    *, item_kind: str, contribution_kind: str, attention_ms: str, queue_item: str
) -> TaskStatements:
    """A task's statements, its kinds and fragments written in as literals. The caller
    (`Task`) has checked the kinds against [a-z_]+; the fragments are its module's constants."""
    slots = {
        "item_kind": item_kind,
        "contribution_kind": contribution_kind,
        "attention_ms": attention_ms,
        "queue_item": queue_item,
        "max_pick": MAX_PICK,
    }
    pick_to_validate = _PICK_TO_VALIDATE.format(**slots)
    return TaskStatements(
        pick_items=_PICK_ITEMS.format(**slots),
        item_to_contribute=_ITEM_TO_CONTRIBUTE.format(**slots),
        skippable_item=_SKIPPABLE_ITEM.format(**slots),
        count_contribution=_COUNT_CONTRIBUTION.format(**slots),
        insert_upload=_INSERT_UPLOAD.format(**slots),
        pick_to_validate=pick_to_validate,
        pick_and_serve=_PICK_AND_SERVE.format(pick=pick_to_validate),
        get_contribution=_GET_CONTRIBUTION.format(**slots),
        lock_contribution=_LOCK_CONTRIBUTION.format(**slots),
    )
