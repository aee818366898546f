"""Trust: which votes count toward a verdict, measured on clips whose answer is known.

Each validator has a standing per language (table validator_standing, ADR 0009); the
thresholds (`rules`) are the Settings fields named below:

- **warmup**: their first `warmup_clips` clips are practice on known-answer clips, shown as
  practice, the expected answer shown after each vote. Passing (`warmup_min_agreed` agreed)
  leads to probation; failing to distrusted. Skipped, straight to counting, while the language
  has too few known answers (fewer than `known_answers_min` of each answer in each pool).
- **probation**: about half the clips served are hidden known-answer checks, and the
  validator's votes are kept but do not count yet. After `probation_checks` checks answered
  with `probation_agree_percent` agreement, all their votes in the language count at once
  (and the verdicts they touch are recomputed).
- **counting**: votes count; about `known_answer_percent` of the clips served are checks.
- **distrusted**: more than `distrust_disagreement_percent` of at least
  `distrust_min_checks` checks disagreed (a skipped check disagrees): every vote is kept,
  marked not counted, and every verdict it touched is recomputed.

Known answers are split in two pools by the parity of the recording's id: practice reveals
answers, so practice clips (even ids) are never used as checks (odd ids); a script that pools
what its sessions learn in practice learns nothing about the checks.

Lock order, to stay free of deadlocks: the validator's standing row first, then contribution
rows in id order.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from app.db import Conn
from app.settings import Settings

STATES = ("warmup", "probation", "counting", "distrusted")
PRACTICE_POOL, CHECK_POOL = 0, 1  # id % 2


def check_percent(rules: Settings, state: str) -> int:
    """The share of served clips that are hidden checks for a validator in `state`."""
    return rules.probation_check_percent if state == "probation" else rules.known_answer_percent


# ---- known-answer pools --------------------------------------------------------------------

# Each of the four (pool, answer) pairs counted up to `enough` on the partial index, in one
# statement: a few index entries read however large the pools grow.
_POOLS_READY = """
SELECT bool_and(n >= %(enough)s) AS ready
  FROM (VALUES (0, 'accept'), (0, 'reject'), (1, 'accept'), (1, 'reject')) AS p(pool, answer)
 CROSS JOIN LATERAL (
       SELECT count(*) AS n FROM (SELECT 1 FROM contributions
         WHERE language_code = %(language)s AND known_answer = p.answer
           AND status <> 'removed' AND id %% 2 = p.pool LIMIT %(enough)s) x) c
"""


def pools_ready(conn: Conn, language: str, minimum: int) -> bool:
    """True when both pools (practice and checks) hold `minimum` clips of each answer."""
    row = conn.execute(_POOLS_READY, {"language": language, "enough": minimum}).fetchone()
    return bool(row and row["ready"])


# A random pivot in the pool's id range, then a walk of the partial index from it (and, when
# it runs out, from the start): a few rows read however large the pool grows.
_PICK_KNOWN = """
WITH bounds AS (
    SELECT min(id) AS lo, max(id) AS hi FROM contributions
     WHERE language_code = %(language)s AND known_answer = %(answer)s
), pivot AS (
    SELECT coalesce(lo + floor(random() * (hi - lo + 1))::bigint, 0) AS id FROM bounds
), picked AS (
    (SELECT c.id AS row_id, c.public_id::text AS id, d.text AS sentence, c.duration_ms
       FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
      WHERE c.language_code = %(language)s AND c.known_answer = %(answer)s
        AND c.id >= (SELECT id FROM pivot) AND c.id %% 2 = %(pool)s
        AND c.status <> 'removed' AND c.contributor_id <> %(me)s AND d.is_active
        AND NOT EXISTS (SELECT 1 FROM validations v
                         WHERE v.contribution_id = c.id AND v.validator_id = %(me)s)
        AND NOT EXISTS (SELECT 1 FROM skips s
                         WHERE s.contribution_id = c.id AND s.contributor_id = %(me)s)
        AND c.id <> ALL(%(exclude)s)
      ORDER BY c.id LIMIT %(count)s)
    UNION ALL
    (SELECT c.id AS row_id, c.public_id::text AS id, d.text AS sentence, c.duration_ms
       FROM contributions c JOIN dataset_rows d ON d.id = c.item_id
      WHERE c.language_code = %(language)s AND c.known_answer = %(answer)s
        AND c.id < (SELECT id FROM pivot) AND c.id %% 2 = %(pool)s
        AND c.status <> 'removed' AND c.contributor_id <> %(me)s AND d.is_active
        AND NOT EXISTS (SELECT 1 FROM validations v
                         WHERE v.contribution_id = c.id AND v.validator_id = %(me)s)
        AND NOT EXISTS (SELECT 1 FROM skips s
                         WHERE s.contribution_id = c.id AND s.contributor_id = %(me)s)
        AND c.id <> ALL(%(exclude)s)
      ORDER BY c.id LIMIT %(count)s)
)
SELECT * FROM picked LIMIT %(count)s
"""


def pick_known_answers(
    conn: Conn, language: str, me: uuid.UUID, *, count: int, pool: int, exclude: list[int]
) -> list[dict[str, Any]]:
    """Up to `count` known-answer clips of `pool` this validator has not answered or skipped,
    each answer (accept or reject) drawn at random, so that always answering the same way
    agrees half the time."""
    picked: list[dict[str, Any]] = []
    for _ in range(count):
        answers = ["accept", "reject"]
        random.shuffle(answers)
        for answer in answers:
            rows = conn.execute(
                _PICK_KNOWN,
                {
                    "language": language, "answer": answer, "pool": pool, "me": me, "count": 1,
                    "exclude": exclude + [row["row_id"] for row in picked],
                },
            ).fetchall()  # fmt: skip
            if rows:
                picked.extend(rows)
                break
    return picked


# ---- standing ------------------------------------------------------------------------------

_MAKE_STANDING = """
WITH me AS (
    INSERT INTO contributors (id) VALUES (%(me)s) ON CONFLICT (id) DO NOTHING
), made AS (
    INSERT INTO validator_standing (validator_id, language_code, state)
    VALUES (%(me)s, %(language)s, 'warmup')
    ON CONFLICT (validator_id, language_code) DO NOTHING
)
SELECT 1
"""
# For a vote: the standing in the recording's language, read and locked (the usual case; a
# lock writes no new row version, which an upsert's DO UPDATE would on every vote) ...
_LOCK_STANDING = """
SELECT validator_id, language_code, state, practice_answered, practice_agreed,
       checks_answered, checks_agreed, reason
  FROM validator_standing
 WHERE validator_id = %(me)s
   AND language_code = (SELECT language_code FROM contributions
                         WHERE public_id = %(recording)s AND kind = 'recording')
   FOR NO KEY UPDATE
"""
# ... or, on a validator's first vote in the language, made, read and locked in one statement
# (an upsert returns the row in both cases); no row: no such recording.
_UPSERT_STANDING = """
WITH me AS (
    INSERT INTO contributors (id) VALUES (%(me)s) ON CONFLICT (id) DO NOTHING
)
INSERT INTO validator_standing AS s (validator_id, language_code, state)
SELECT %(me)s, c.language_code, 'warmup' FROM contributions c
 WHERE c.public_id = %(recording)s AND c.kind = 'recording'
    ON CONFLICT (validator_id, language_code) DO UPDATE SET state = s.state
RETURNING validator_id, language_code, state, practice_answered, practice_agreed,
          checks_answered, checks_agreed, reason
"""
_READ_STANDING = """
SELECT validator_id, language_code, state, practice_answered, practice_agreed,
       checks_answered, checks_agreed, reason
  FROM validator_standing WHERE validator_id = %(me)s AND language_code = %(language)s
"""


def standing(conn: Conn, me: uuid.UUID, language: str, rules: Settings) -> dict[str, Any]:
    """This validator's standing in `language`, made on first use (warm-up, or counting when
    the language's known-answer pools are too small for one)."""
    row = conn.execute(_READ_STANDING, {"me": me, "language": language}).fetchone()
    if row is None:
        conn.execute(_MAKE_STANDING, {"me": me, "language": language})
        row = conn.execute(_READ_STANDING, {"me": me, "language": language}).fetchone()
    assert row is not None
    return _past_warm_up_if_nothing_to_practise(conn, row, rules)


def locked_standing_for_recording(
    conn: Conn, me: uuid.UUID, recording: uuid.UUID, rules: Settings
) -> dict[str, Any] | None:
    """This validator's standing in the language of `recording`, made on first use and locked
    for the rest of the transaction; None when there is no such recording."""
    params = {"me": me, "recording": recording}
    row = conn.execute(_LOCK_STANDING, params).fetchone()
    if row is None:
        row = conn.execute(_UPSERT_STANDING, params).fetchone()
    return None if row is None else _past_warm_up_if_nothing_to_practise(conn, row, rules)


def _past_warm_up_if_nothing_to_practise(
    conn: Conn, row: dict[str, Any], rules: Settings
) -> dict[str, Any]:
    language = row["language_code"]
    if row["state"] == "warmup" and (
        rules.warmup_clips == 0 or not pools_ready(conn, language, rules.known_answers_min)
    ):
        # Nothing to measure a newcomer on yet: their votes count from the start (ADR 0009).
        reason = "warm-up skipped: too few known answers"
        return _set_state(conn, row["validator_id"], language, "counting", reason)
    return row


def _set_state(conn: Conn, me: uuid.UUID, language: str, state: str, reason: str
               ) -> dict[str, Any]:  # fmt: skip
    row = conn.execute(
        "UPDATE validator_standing SET state = %(state)s, reason = %(reason)s, changed_at = now()"
        " WHERE validator_id = %(me)s AND language_code = %(language)s"
        " RETURNING validator_id, language_code, state, practice_answered, practice_agreed,"
        "           checks_answered, checks_agreed, reason",
        {"me": me, "language": language, "state": state, "reason": reason[:200]},
    ).fetchone()
    assert row is not None
    return row


def record_known_answer(
    conn: Conn, me: uuid.UUID, language: str, role: str, agreed: bool, rules: Settings
) -> dict[str, Any]:
    """Count one practice answer or check (a skipped check counts as disagreeing) and move
    the validator on when a threshold is crossed. The standing must be locked by the caller.
    Returns the standing after it."""
    column = "practice" if role == "practice" else "checks"
    row = conn.execute(
        f"UPDATE validator_standing SET {column}_answered = {column}_answered + 1,"
        f"       {column}_agreed = {column}_agreed + %(agreed)s::int"
        "  WHERE validator_id = %(me)s AND language_code = %(language)s"
        " RETURNING state, practice_answered, practice_agreed, checks_answered, checks_agreed",
        {"me": me, "language": language, "agreed": agreed},
    ).fetchone()
    assert row is not None
    state = row["state"]
    if state == "warmup" and row["practice_answered"] >= rules.warmup_clips:
        if row["practice_agreed"] >= rules.warmup_min_agreed:
            return _set_state(conn, me, language, "probation", "passed the warm-up")
        return distrust(conn, me, language, "did not pass the warm-up", rules)
    answered, agreed_n = row["checks_answered"], row["checks_agreed"]
    if (
        state in ("probation", "counting")
        and answered >= rules.distrust_min_checks
        and ((answered - agreed_n) * 100 > rules.distrust_disagreement_percent * answered)
    ):
        return distrust(
            conn, me, language, f"disagreed on {answered - agreed_n} of {answered} checks", rules
        )
    if (
        state == "probation"
        and answered >= rules.probation_checks
        and agreed_n * 100 >= rules.probation_agree_percent * answered
    ):
        promoted = _set_state(
            conn, me, language, "counting", f"agreed on {agreed_n} of {answered} checks"
        )
        count_votes(conn, me, language, True, rules)
        return promoted
    return conn.execute(_READ_STANDING, {"me": me, "language": language}).fetchone() or {}


def distrust(conn: Conn, me: uuid.UUID, language: str, reason: str, rules: Settings
             ) -> dict[str, Any]:  # fmt: skip
    """Stop counting this validator's votes in `language`: they are kept, marked not counted,
    and every verdict they touched is recomputed."""
    row = _set_state(conn, me, language, "distrusted", reason)
    count_votes(conn, me, language, False, rules)
    return row


def restore_trust(conn: Conn, me: uuid.UUID, language: str, rules: Settings) -> dict[str, Any]:
    """An operator's word: the validator counts again; their votes count and the verdicts
    they touch are recomputed."""
    conn.execute(_MAKE_STANDING, {"me": me, "language": language})
    row = _set_state(conn, me, language, "counting", "restored by an operator")
    count_votes(conn, me, language, True, rules)
    return row


def count_votes(conn: Conn, me: uuid.UUID, language: str, counted: bool, rules: Settings) -> int:
    """Mark every ordinary vote of this validator in `language` counted (or not) and recompute
    the verdicts of the recordings whose votes changed. Returns how many recordings."""
    touched = conn.execute(
        """UPDATE validations v SET counted = %(counted)s
             FROM contributions c
            WHERE v.validator_id = %(me)s AND v.role = 'vote' AND v.counted <> %(counted)s
              AND c.id = v.contribution_id AND c.language_code = %(language)s
        RETURNING v.contribution_id""",
        {"me": me, "language": language, "counted": counted},
    ).fetchall()
    ids = sorted({int(row["contribution_id"]) for row in touched})
    recompute_verdicts(conn, ids, votes_to_decide=rules.votes_to_decide)
    return len(ids)


# The verdict from the counted votes: Common Voice's rule, contribution_verdict (migration 0009).
# Rows are locked in id order first, so two recomputations never wait on each other in a
# circle. A known answer that came from a clear majority is kept only while it still is one.
_LOCK_FOR_RECOMPUTE = """
SELECT id FROM contributions WHERE id = ANY(%(ids)s) ORDER BY id FOR NO KEY UPDATE
"""
# Run after the lock above, as a statement of its own: its snapshot then holds every vote
# committed by a transaction that held one of these rows (counted in the same statement as the
# lock, a vote committed while we waited for it would be missing from the tally).
_RECOMPUTE = """
WITH locked AS (
    SELECT id FROM contributions WHERE id = ANY(%(ids)s) AND status <> 'removed'
), tally AS (
    SELECT l.id,
           count(v.id) FILTER (WHERE v.counted AND v.verdict = 'accept') AS a,
           count(v.id) FILTER (WHERE v.counted AND v.verdict = 'reject') AS r
      FROM locked l LEFT JOIN validations v ON v.contribution_id = l.id
     GROUP BY l.id
), decided AS (
    SELECT id, a, r, contribution_verdict(a, r, %(n)s) AS status FROM tally
), verdict AS (
    -- decided with no dissent, as cast_vote says it
    SELECT id, a, r, status,
           CASE WHEN status = 'accepted' AND r = 0 THEN 'accept'
                WHEN status = 'rejected' AND a = 0 THEN 'reject' END AS clear
      FROM decided
)
UPDATE contributions c
   SET accept_count = v.a, reject_count = v.r,
       -- an operator's known answer is the verdict (mark_known_answer), whatever the votes
       status = CASE WHEN c.known_answer_source = 'operator' THEN c.status ELSE v.status END,
       decided_at = CASE WHEN c.known_answer_source = 'operator' THEN c.decided_at
                         WHEN v.status = 'pending' THEN NULL
                         WHEN c.status = v.status THEN c.decided_at ELSE now() END,
       known_answer = CASE WHEN c.known_answer_source = 'majority'
                            AND v.clear IS DISTINCT FROM c.known_answer
                           THEN NULL ELSE c.known_answer END,
       known_answer_source = CASE WHEN c.known_answer_source = 'majority'
                                   AND v.clear IS DISTINCT FROM c.known_answer
                                  THEN NULL ELSE c.known_answer_source END
  FROM verdict v
 WHERE c.id = v.id
"""


def recompute_verdicts(conn: Conn, ids: list[int], *, votes_to_decide: int) -> None:
    """Recount the counted votes of these recordings and set their verdicts again: their rows
    are locked first, in id order (so two recomputations never wait on each other in a
    circle), then counted."""
    if ids:
        conn.execute(_LOCK_FOR_RECOMPUTE, {"ids": ids})
        conn.execute(_RECOMPUTE, {"ids": ids, "n": votes_to_decide})


def mark_known_answer(
    conn: Conn, public_id: uuid.UUID, answer: str | None
) -> dict[str, Any] | None:
    """An operator's known answer for a recording (None removes it); returns the recording,
    or None when there is no such recording. The recording's verdict follows the answer."""
    return conn.execute(
        """UPDATE contributions
              SET known_answer = %(answer)s,
                  known_answer_source = CASE WHEN %(answer)s::text IS NULL THEN NULL
                                             ELSE 'operator' END,
                  status = CASE WHEN %(answer)s::text IS NULL OR status = 'removed' THEN status
                                WHEN %(answer)s = 'accept' THEN 'accepted' ELSE 'rejected' END,
                  decided_at = CASE WHEN %(answer)s::text IS NULL OR status = 'removed'
                                    THEN decided_at ELSE coalesce(decided_at, now()) END
            WHERE public_id = %(id)s AND kind = 'recording'
        RETURNING public_id::text AS id, language_code, status, known_answer""",
        {"id": public_id, "answer": answer},
    ).fetchone()


SERVINGS_KEPT_DAYS = 7


def prune_servings(conn: Conn, *, older_than_days: int = SERVINGS_KEPT_DAYS) -> int:
    """Forget which clips were handed out more than `older_than_days` ago (a vote on one of
    them answers not_listened; the page fetches clips afresh long before). Run by the
    dashboard refresh. Returns how many were forgotten."""
    cursor = conn.execute(
        "DELETE FROM clip_servings WHERE served_at < now() - make_interval(days => %s)",
        (older_than_days,),
    )
    return cursor.rowcount
