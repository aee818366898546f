"""The hot SQL of every task, written once as templates and built per task at import (ADR 0010).

A template's slots are filled from the task's own constants, never from input: the kinds as
literals (the partial indexes and the prepared statements' generic plans depend on them, and
the plan tests pass no `kind` parameter) and a few fixed fragments written in the task's
module. Speak's built statements are the SQL speak has always run; a test pins them
(tests/test_task_statements.py). Statements that name no kind (the vote, the servings, the
idempotency look-ups) are not here: they are the same for every task already.

Where the cap and "open" come from is a slot: speak's are on `languages`, the other tasks' on
their `language_tasks` row (migration 0010).
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
# form that starts the walk at (n, pivot) and ends it at the level's end. The walk below the
# pivot is its mirror, backwards: `count >= n AND (count, id) < (n, pivot)`, from the pivot
# down to the level's start. (Written forwards, `count = n AND (count, id) < (n, pivot)`, it
# started at the level's start, and the row comparison did not end it at the pivot: when the
# level had nothing below the pivot (40 % of a language recorded once, the pivot among those
# ids) it read the whole level, 7.6 ms at 100k sentences: issue #22.)
# The levels are a constant series filtered, not generate_series(lowest, cap - 1): with
# computed bounds the planner guessed 1,000 levels, judged the generic plan of the prepared
# statement too costly and planned every execution afresh (0.6 ms, more than running it);
# for the same reason each walk stops at MAX_PICK rows, a constant, and only the final LIMIT
# is the request's count.
MAX_PICK = 20
_PICK_ITEMS = """
WITH bounds AS (
    SELECT min(id) AS lo, max(id) AS hi FROM dataset_rows
     WHERE language_code = %(language)s AND kind = '{item_kind}'{pair}
), pivot AS (
    SELECT coalesce(lo + floor(random() * (hi - lo + 1))::bigint, 0) AS id FROM bounds
), lowest AS (
    SELECT coalesce(min(contribution_count), 0) AS n FROM dataset_rows
     WHERE language_code = %(language)s AND kind = '{item_kind}'{pair} AND is_active
), candidates AS (
    SELECT picked.*
      FROM generate_series(0, 99) AS level(n)  -- every possible cap: CHECK (... BETWEEN 1 AND 100)
     CROSS JOIN LATERAL (
        (SELECT k.id, x.text, k.contribution_count, 0 AS part
           FROM dataset_rows k
          CROSS JOIN LATERAL ({item_lookup}
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = '{item_kind}'{k_pair} AND k.is_active
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
          CROSS JOIN LATERAL ({item_lookup}
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = '{item_kind}'{k_pair} AND k.is_active
            AND k.contribution_count >= level.n
            AND (k.contribution_count, k.id) < (level.n, (SELECT id FROM pivot))
            AND NOT EXISTS (SELECT 1 FROM contributions c
                             WHERE c.contributor_id = %(me)s AND c.item_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM skips s
                             WHERE s.contributor_id = %(me)s AND s.item_id = k.id)
          ORDER BY k.contribution_count DESC, k.id DESC
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
       {open} AS language_open, {cap} AS cap{item_extra}
  FROM dataset_rows d JOIN languages l ON l.code = d.language_code{task_join}
 WHERE d.id = %s AND d.kind = '{item_kind}'
"""

_SKIPPABLE_ITEM = "SELECT 1 FROM dataset_rows WHERE id = %s AND kind = '{item_kind}' AND is_active"

# The rules, at the write: the item's row is counted only while it is active, its language
# open, its count under the cap and it is not hidden by reports. The UPDATE takes the row's
# lock, so concurrent contributions to one item take turns and each sees the count the
# previous one left: with one slot left, exactly one of them gets it.
_COUNT_CONTRIBUTION = """
UPDATE dataset_rows d SET contribution_count = d.contribution_count + 1
  FROM languages l{task_from}
 WHERE d.id = %(item_id)s AND l.code = d.language_code{task_where}
   AND d.is_active AND {open}{cap_check}
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
   AND c.contributor_id <> %(me)s{queue_filter}
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
       c.known_answer_source, {open} AS language_open, d.is_active AS item_active,{lock_extra}
       s.served_at IS NOT NULL AS served,
       s.served_at >= c.decided_at AS served_decided,
       s.served_at <= now() - make_interval(secs => {attention_ms} * %(listen)s / 100000.0)
           AS listened,
       v.verdict AS previous
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
  JOIN languages l ON l.code = c.language_code{task_join_c}
  LEFT JOIN clip_servings s ON s.contribution_id = c.id AND s.contributor_id = %(me)s
  LEFT JOIN validations v ON v.contribution_id = c.id AND v.validator_id = %(me)s
 WHERE c.public_id = %(id)s AND c.kind = '{contribution_kind}'
   FOR NO KEY UPDATE OF c
"""


# A typed contribution's row (transcribe, translate, label): the text as checked, the item's
# pre-check score, the contribution it corrects, and the person's demographics.
_INSERT_TEXT = """
INSERT INTO contributions (
    public_id, contributor_id, item_id, language_code, kind, idempotency_key, text, corrects_id,
    reference_score, reference_metric, past_threshold, device, browser,
    age_group, gender, mother_tongue, region_code)
SELECT %(public_id)s, p.id, %(item_id)s, %(language)s, '{contribution_kind}', %(key)s, %(text)s,
       %(corrects)s, %(score)s, %(metric)s, %(past_threshold)s, %(device)s, %(browser)s,
       p.age_group, p.gender, p.mother_tongue, p.region_code
  FROM contributors p WHERE p.id = %(contributor)s
RETURNING public_id::text AS id, item_id, language_code AS language, text, status,
          reference_score, reference_metric, past_threshold
"""

# ---- trust (app/validate/trust.py): standing per (validator, language, task) -------------

# Each of the four (pool, answer) pairs of the task's known answers counted up to `enough` on
# the partial index, in one statement: a few index entries read however large the pools grow.
_POOLS_READY = """
SELECT bool_and(n >= %(enough)s) AS ready
  FROM (VALUES (0, 'accept'), (0, 'reject'), (1, 'accept'), (1, 'reject')) AS p(pool, answer)
 CROSS JOIN LATERAL (
       SELECT count(*) AS n FROM (SELECT 1 FROM contributions
         WHERE language_code = %(language)s AND kind = '{contribution_kind}'
           AND known_answer = p.answer
           AND status <> 'removed' AND id %% 2 = p.pool LIMIT %(enough)s) x) c
"""

# A random pivot in the pool's id range, then a walk of the partial index from it (and, when
# it runs out, from the start): a few rows read however large the pool grows. The rows look
# like the queue's.
_PICK_KNOWN_WALK = """
    (SELECT c.id AS row_id, c.public_id::text AS id, {queue_item}, c.duration_ms
       FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
      WHERE c.language_code = %(language)s AND c.kind = '{contribution_kind}'
        AND c.known_answer = %(answer)s
        AND c.id {side} (SELECT id FROM pivot) AND c.id %% 2 = %(pool)s
        AND c.status <> 'removed' AND c.contributor_id <> %(me)s AND d.is_active{queue_filter}
        AND NOT EXISTS (SELECT 1 FROM validations v
                         WHERE v.contribution_id = c.id AND v.validator_id = %(me)s)
        AND NOT EXISTS (SELECT 1 FROM skips s
                         WHERE s.contribution_id = c.id AND s.contributor_id = %(me)s)
        AND c.id <> ALL(%(exclude)s)
      ORDER BY c.id LIMIT %(count)s)"""
_PICK_KNOWN = """
WITH bounds AS (
    SELECT min(id) AS lo, max(id) AS hi FROM contributions
     WHERE language_code = %(language)s AND kind = '{contribution_kind}'
       AND known_answer = %(answer)s
), pivot AS (
    SELECT coalesce(lo + floor(random() * (hi - lo + 1))::bigint, 0) AS id FROM bounds
), picked AS ({above}
    UNION ALL{below}
)
SELECT * FROM picked LIMIT %(count)s
"""

_MAKE_STANDING = """
WITH me AS (
    INSERT INTO contributors (id) VALUES (%(me)s) ON CONFLICT (id) DO NOTHING
), made AS (
    INSERT INTO validator_standing (validator_id, language_code, task, state)
    VALUES (%(me)s, %(language)s, '{task}', 'warmup')
    ON CONFLICT (validator_id, language_code, task) DO NOTHING
)
SELECT 1
"""
_STANDING_COLUMNS = """validator_id, language_code, task, state, practice_answered, practice_agreed,
       checks_answered, checks_agreed, reason"""
# For a vote: the standing in the contribution's language, read and locked (the usual case; a
# lock writes no new row version, which an upsert's DO UPDATE would on every vote) ...
_LOCK_STANDING = """
SELECT {standing_columns}
  FROM validator_standing
 WHERE validator_id = %(me)s AND task = '{task}'
   AND language_code = (SELECT language_code FROM contributions
                         WHERE public_id = %(recording)s AND kind = '{contribution_kind}')
   FOR NO KEY UPDATE
"""
# ... or, on a validator's first vote in the language, made, read and locked in one statement
# (an upsert returns the row in both cases); no row: no such contribution.
_UPSERT_STANDING = """
WITH me AS (
    INSERT INTO contributors (id) VALUES (%(me)s) ON CONFLICT (id) DO NOTHING
)
INSERT INTO validator_standing AS s (validator_id, language_code, task, state)
SELECT %(me)s, c.language_code, '{task}', 'warmup' FROM contributions c
 WHERE c.public_id = %(recording)s AND c.kind = '{contribution_kind}'
    ON CONFLICT (validator_id, language_code, task) DO UPDATE SET state = s.state
RETURNING {standing_columns}
"""
_READ_STANDING = """
SELECT {standing_columns}
  FROM validator_standing
 WHERE validator_id = %(me)s AND language_code = %(language)s AND task = '{task}'
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
    insert_text: str
    count_correction: str  # the count at the write without the cap: a correction of a full item
    pools_ready: str
    pick_known: str
    make_standing: str
    lock_standing: str
    upsert_standing: str
    read_standing: str


_LOCK_TEXT_EXTRA = """
       c.item_id, c.language_code, c.text, EXISTS (SELECT 1 FROM contributions o
           WHERE o.item_id = c.item_id AND o.contributor_id = %(me)s) AS own_item,"""

# Speak's fragments, as its statements have always had them.
SPEAK_LOOKUP = """SELECT d.text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s"""


def build_statements(
    *,
    task: str,
    item_kind: str,
    contribution_kind: str,
    attention_ms: str,
    queue_item: str,
    item_lookup: str = SPEAK_LOOKUP,
    item_extra: str = "",
    on_languages: bool = True,
    by_source: bool = False,
    own_items_validatable: bool = True,
) -> TaskStatements:
    """A task's statements, its names and fragments written in as literals. The caller
    (`Task`) has checked the names against [a-z_]+; the fragments are its module's constants.

    `on_languages`: the task's cap and "open" are speak's, on `languages`; otherwise on its
    `language_tasks` row. `by_source`: items are picked per source language too (translate's
    prompts, `%(source)s`). `own_items_validatable`: else the queue leaves out contributions on
    items this validator contributed to."""
    if on_languages:
        home = {
            "open": "l.is_active", "cap": "l.max_recordings_per_item", "task_join": "",
            "task_from": "", "task_where": "", "task_join_c": "",
        }  # fmt: skip
    else:
        home = {
            "open": "l.is_active AND t.is_open",
            "cap": "t.cap",
            "task_join": f"\n  JOIN language_tasks t ON t.language_code = d.language_code"
            f" AND t.task = '{task}'",
            "task_from": ", language_tasks t",
            "task_where": f" AND t.language_code = d.language_code AND t.task = '{task}'",
            "task_join_c": f"\n  JOIN language_tasks t ON t.language_code = c.language_code"
            f" AND t.task = '{task}'",
        }
    queue_filter = ""
    if not own_items_validatable:
        queue_filter += (
            "\n   AND NOT EXISTS (SELECT 1 FROM contributions o"
            " WHERE o.item_id = c.item_id AND o.contributor_id = %(me)s)"
        )
    if by_source:
        queue_filter += "\n   AND (%(source)s::text IS NULL OR d.source_language_code = %(source)s)"
    slots = {
        "task": task,
        "item_kind": item_kind,
        "contribution_kind": contribution_kind,
        "attention_ms": attention_ms,
        "queue_item": queue_item,
        "item_lookup": item_lookup,
        "item_extra": item_extra,
        "pair": " AND source_language_code = %(source)s" if by_source else "",
        "k_pair": " AND k.source_language_code = %(source)s" if by_source else "",
        "queue_filter": queue_filter,
        # what a typed task's vote reads besides: the item, the text, whether it is yours
        "lock_extra": "" if own_items_validatable else _LOCK_TEXT_EXTRA,
        "max_pick": MAX_PICK,
        "standing_columns": _STANDING_COLUMNS,
        **home,
    }
    cap_check = "\n   AND d.contribution_count < " + home["cap"]
    pick_to_validate = _PICK_TO_VALIDATE.format(**slots)
    known_walk = {**slots, "queue_filter": queue_filter.replace("\n   ", "\n        ")}
    return TaskStatements(
        pick_items=_PICK_ITEMS.format(**slots),
        item_to_contribute=_ITEM_TO_CONTRIBUTE.format(**slots),
        skippable_item=_SKIPPABLE_ITEM.format(**slots),
        count_contribution=_COUNT_CONTRIBUTION.format(**slots, cap_check=cap_check),
        insert_upload=_INSERT_UPLOAD.format(**slots),
        pick_to_validate=pick_to_validate,
        pick_and_serve=_PICK_AND_SERVE.format(pick=pick_to_validate),
        get_contribution=_GET_CONTRIBUTION.format(**slots),
        lock_contribution=_LOCK_CONTRIBUTION.format(**slots),
        insert_text=_INSERT_TEXT.format(**slots),
        count_correction=_COUNT_CONTRIBUTION.format(**slots, cap_check=""),
        pools_ready=_POOLS_READY.format(**slots),
        pick_known=_PICK_KNOWN.format(
            **slots,
            above=_PICK_KNOWN_WALK.format(**known_walk, side=">="),
            below=_PICK_KNOWN_WALK.format(**known_walk, side="<"),
        ),
        make_standing=_MAKE_STANDING.format(**slots),
        lock_standing=_LOCK_STANDING.format(**slots),
        upsert_standing=_UPSERT_STANDING.format(**slots),
        read_standing=_READ_STANDING.format(**slots),
    )
