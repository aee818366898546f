"""Trust: which votes count toward a verdict, measured on clips whose answer is known.

Each validator has a standing per language and task (table validator_standing, ADR 0009 and
ADR 0010); the
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

A standing's `reason` ("passed the warm-up", "disagreed on 4 of 10 checks") is a note for
operators (`crowdsource validators`), stored in English and never sent to a volunteer; the
`state` is what the product reads.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from app.db import Conn
from app.settings import Settings
from app.tasks import SPEAK, Task

STATES = ("warmup", "probation", "counting", "distrusted")
PRACTICE_POOL, CHECK_POOL = 0, 1  # id % 2


def check_percent(rules: Settings, state: str) -> int:
    """The share of served clips that are hidden checks for a validator in `state`."""
    return rules.probation_check_percent if state == "probation" else rules.known_answer_percent


# ---- known-answer pools --------------------------------------------------------------------

# Speak's trust statements, built from the task templates (app/tasks/statements.py); the names
# stay, for the plan tests. Every task has its own, in `task.sql`.
_POOLS_READY = SPEAK.sql.pools_ready
_PICK_KNOWN = SPEAK.sql.pick_known
_MAKE_STANDING = SPEAK.sql.make_standing
_LOCK_STANDING = SPEAK.sql.lock_standing
_UPSERT_STANDING = SPEAK.sql.upsert_standing
_READ_STANDING = SPEAK.sql.read_standing


def pools_ready(conn: Conn, language: str, minimum: int, task: Task = SPEAK) -> bool:
    """True when both pools (practice and checks) of the task's known answers in `language`
    hold `minimum` of each answer."""
    row = conn.execute(task.sql.pools_ready, {"language": language, "enough": minimum}).fetchone()
    return bool(row and row["ready"])


def pick_known_answers(
    conn: Conn,
    language: str,
    me: uuid.UUID,
    *,
    count: int,
    pool: int,
    exclude: list[int],
    task: Task = SPEAK,
    source: str | None = None,
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
                task.sql.pick_known,
                {
                    "language": language, "answer": answer, "pool": pool, "me": me, "count": 1,
                    "exclude": exclude + [row["row_id"] for row in picked], "source": source,
                },
            ).fetchall()  # fmt: skip
            if rows:
                picked.extend(rows)
                break
    return picked


# ---- standing ------------------------------------------------------------------------------


def standing(
    conn: Conn, me: uuid.UUID, language: str, rules: Settings, task: Task = SPEAK
) -> dict[str, Any]:
    """This validator's standing in `task` in `language`, made on first use (warm-up, or
    counting when the known-answer pools are too small for one)."""
    row = conn.execute(task.sql.read_standing, {"me": me, "language": language}).fetchone()
    if row is None:
        conn.execute(task.sql.make_standing, {"me": me, "language": language})
        row = conn.execute(task.sql.read_standing, {"me": me, "language": language}).fetchone()
    assert row is not None
    return _past_warm_up_if_nothing_to_practise(conn, task, row, rules)


def locked_standing_for_contribution(
    conn: Conn, task: Task, me: uuid.UUID, contribution: uuid.UUID, rules: Settings
) -> dict[str, Any] | None:
    """This validator's standing in `task` in the language of `contribution` (of the task's
    kind), made on first use and locked for the rest of the transaction; None when there is
    no such contribution."""
    params = {"me": me, "recording": contribution}
    row = conn.execute(task.sql.lock_standing, params).fetchone()
    if row is None:
        row = conn.execute(task.sql.upsert_standing, params).fetchone()
    return None if row is None else _past_warm_up_if_nothing_to_practise(conn, task, row, rules)


def locked_standing_for_recording(
    conn: Conn, me: uuid.UUID, recording: uuid.UUID, rules: Settings
) -> dict[str, Any] | None:
    """Speak's `locked_standing_for_contribution`."""
    return locked_standing_for_contribution(conn, SPEAK, me, recording, rules)


def _past_warm_up_if_nothing_to_practise(
    conn: Conn, task: Task, row: dict[str, Any], rules: Settings
) -> dict[str, Any]:
    language = row["language_code"]
    if row["state"] == "warmup" and (
        rules.warmup_clips == 0 or not pools_ready(conn, language, rules.known_answers_min, task)
    ):
        # Nothing to measure a newcomer on yet: their votes count from the start (ADR 0009).
        reason = "warm-up skipped: too few known answers"
        return _set_state(conn, task, row["validator_id"], language, "counting", reason)
    return row


def _set_state(conn: Conn, task: Task, me: uuid.UUID, language: str, state: str, reason: str
               ) -> dict[str, Any]:  # fmt: skip
    row = conn.execute(
        "UPDATE validator_standing SET state = %(state)s, reason = %(reason)s, changed_at = now()"
        " WHERE validator_id = %(me)s AND language_code = %(language)s AND task = %(task)s"
        " RETURNING validator_id, language_code, task, state, practice_answered,"
        "           practice_agreed, checks_answered, checks_agreed, reason",
        {"me": me, "language": language, "task": task.name, "state": state,
         "reason": reason[:200]},
    ).fetchone()  # fmt: skip
    assert row is not None
    return row


def record_known_answer(
    conn: Conn, me: uuid.UUID, language: str, role: str, agreed: bool, rules: Settings,
    task: Task = SPEAK,
) -> dict[str, Any]:  # fmt: skip
    """Count one practice answer or check (a skipped check counts as disagreeing) and move
    the validator on when a threshold is crossed. The standing must be locked by the caller.
    Returns the standing after it."""
    column = "practice" if role == "practice" else "checks"
    row = conn.execute(
        f"UPDATE validator_standing SET {column}_answered = {column}_answered + 1,"
        f"       {column}_agreed = {column}_agreed + %(agreed)s::int"
        "  WHERE validator_id = %(me)s AND language_code = %(language)s AND task = %(task)s"
        " RETURNING state, practice_answered, practice_agreed, checks_answered, checks_agreed",
        {"me": me, "language": language, "task": task.name, "agreed": agreed},
    ).fetchone()
    assert row is not None
    state = row["state"]
    if state == "warmup" and row["practice_answered"] >= rules.warmup_clips:
        if row["practice_agreed"] >= rules.warmup_min_agreed:
            return _set_state(conn, task, me, language, "probation", "passed the warm-up")
        return distrust(conn, me, language, "did not pass the warm-up", rules, task)
    answered, agreed_n = row["checks_answered"], row["checks_agreed"]
    if (
        state in ("probation", "counting")
        and answered >= rules.distrust_min_checks
        and ((answered - agreed_n) * 100 > rules.distrust_disagreement_percent * answered)
    ):
        return distrust(
            conn, me, language, f"disagreed on {answered - agreed_n} of {answered} checks",
            rules, task,
        )  # fmt: skip
    if (
        state == "probation"
        and answered >= rules.probation_checks
        and agreed_n * 100 >= rules.probation_agree_percent * answered
    ):
        promoted = _set_state(
            conn, task, me, language, "counting", f"agreed on {agreed_n} of {answered} checks"
        )
        count_votes(conn, me, language, True, rules, task)
        return promoted
    return conn.execute(task.sql.read_standing, {"me": me, "language": language}).fetchone() or {}


def distrust(
    conn: Conn, me: uuid.UUID, language: str, reason: str, rules: Settings, task: Task = SPEAK
) -> dict[str, Any]:
    """Stop counting this validator's votes in `task` in `language`: they are kept, marked
    not counted, and every verdict they touched is recomputed."""
    row = _set_state(conn, task, me, language, "distrusted", reason)
    count_votes(conn, me, language, False, rules, task)
    return row


def restore_trust(
    conn: Conn, me: uuid.UUID, language: str, rules: Settings, task: Task = SPEAK
) -> dict[str, Any]:
    """An operator's word: the validator counts again in `task`; their votes count and the
    verdicts they touch are recomputed."""
    conn.execute(task.sql.make_standing, {"me": me, "language": language})
    row = _set_state(conn, task, me, language, "counting", "restored by an operator")
    count_votes(conn, me, language, True, rules, task)
    return row


def count_votes(
    conn: Conn, me: uuid.UUID, language: str, counted: bool, rules: Settings, task: Task = SPEAK
) -> int:
    """Mark every ordinary vote of this validator on `task`'s contributions in `language`
    counted (or not) and recompute the verdicts of the contributions whose votes changed.
    Returns how many contributions."""
    touched = conn.execute(
        """UPDATE validations v SET counted = %(counted)s
             FROM contributions c
            WHERE v.validator_id = %(me)s AND v.role = 'vote' AND v.counted <> %(counted)s
              AND c.id = v.contribution_id AND c.language_code = %(language)s
              AND c.kind = %(kind)s
        RETURNING v.contribution_id""",
        {"me": me, "language": language, "counted": counted, "kind": task.contribution_kind},
    ).fetchall()
    ids = sorted({int(row["contribution_id"]) for row in touched})
    n = votes_to_decide(conn, task, language, rules)
    recompute_verdicts(conn, ids, votes_to_decide=n)
    return len(ids)


def votes_to_decide(conn: Conn, task: Task, language: str, rules: Settings) -> int:
    """How many counted votes decide a contribution of `task` in `language`: the setting, or
    the language's own number for the task (language_tasks.votes_to_decide)."""
    return task_votes_to_decide(conn, task, language, rules.votes_to_decide)


def task_votes_to_decide(conn: Conn, task: Task, language: str, default: int) -> int:
    """`votes_to_decide` with the setting's value given as `default`."""
    if task.home == "languages":
        return default
    row = conn.execute(
        "SELECT votes_to_decide FROM language_tasks WHERE language_code = %s AND task = %s",
        (language, task.name),
    ).fetchone()
    return int(row["votes_to_decide"]) if row and row["votes_to_decide"] else default


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
