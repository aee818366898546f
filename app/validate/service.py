"""Validate, for every task: the queue of contributions to check, votes and the verdict rule,
skips. Speak's names (clips, recordings) are kept for its routes; each function takes the task
(ADR 0010), speak by default.

Refusals are `Text`, answered in the reader's language; one that names the contribution is
written out whole for each task (a recording, a transcript, a translation, a label), keyed by
task name (`task_message`)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from typing import Any

from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import Conflict, CrowdsourceError, NotFound
from app.i18n.text import Text
from app.languages.service import LanguageClosed
from app.progress.service import record_progress
from app.settings import Settings
from app.tasks import SPEAK, Task, task_message
from app.validate.trust import (
    CHECK_POOL,
    PRACTICE_POOL,
    check_percent,
    locked_standing_for_contribution,
    pick_known_answers,
    record_known_answer,
    standing,
    votes_to_decide,
)

VERDICTS = ("accept", "reject")


class UnknownContribution(NotFound):
    code = "unknown_contribution"


class UnknownRecording(UnknownContribution):
    code = "unknown_recording"


class OwnRecording(CrowdsourceError):
    code = "own_recording"
    http_status = 403


class OwnContribution(OwnRecording):
    code = "own_contribution"


class OwnItem(CrowdsourceError):
    """A typed contribution on an item you contributed to: its author is not its judge."""

    code = "own_item"
    http_status = 403


# The refusals that name a contribution, per task ({id} is the contribution's id).
_UNKNOWN = {
    "speak": Text("There is no recording with id '{id}'."),
    "transcribe": Text("There is no transcript with id '{id}'."),
    "translate": Text("There is no translation with id '{id}'."),
    # Translators: a label is the text a volunteer typed from an image.
    "label": Text("There is no label with id '{id}'."),
}
_OWN = {
    "speak": Text("You can't validate your own recording."),
    "transcribe": Text("You can't validate your own transcript."),
    "translate": Text("You can't validate your own translation."),
    # Translators: a label is the text a volunteer typed from an image.
    "label": Text("You can't validate your own label."),
}
_OWN_ITEM = {  # speak lets a speaker validate others' readings of their sentence
    "transcribe": Text("You worked on this item yourself: someone else checks this transcript."),
    "translate": Text("You worked on this item yourself: someone else checks this translation."),
    # Translators: a label is the text a volunteer typed from an image.
    "label": Text("You worked on this item yourself: someone else checks this label."),
}
_ALREADY_VOTED = {
    "speak": Text("You have already voted on this recording."),
    "transcribe": Text("You have already voted on this transcript."),
    "translate": Text("You have already voted on this translation."),
    # Translators: a label is the text a volunteer typed from an image.
    "label": Text("You have already voted on this label."),
}
_REMOVED = {
    "speak": Text("This recording was removed after a review."),
    "transcribe": Text("This transcript was removed after a review."),
    "translate": Text("This translation was removed after a review."),
    # Translators: a label is the text a volunteer typed from an image.
    "label": Text("This label was removed after a review."),
}
_RETIRED = {
    "speak": Text("This recording's sentence has been retired."),
    "transcribe": Text("The item of this transcript has been retired."),
    "translate": Text("The item of this translation has been retired."),
    # Translators: a label is the text a volunteer typed from an image.
    "label": Text("The item of this label has been retired."),
}
# Not listened: (heard in part, never served) per task; what was not heard or opened.
_NOT_LISTENED = {
    "speak": (
        Text("Please listen to the whole recording before you answer."),
        Text("Please listen to this recording on the validate page before you answer."),
    ),
    "transcribe": (
        Text("Please listen to the whole clip before you answer."),
        Text("Please open this transcript on the validate page before you answer."),
    ),
    "translate": (
        Text("Please open this translation on the validate page before you answer."),
        Text("Please open this translation on the validate page before you answer."),
    ),
    "label": (
        # Translators: a label is the text a volunteer typed from an image.
        Text("Please open this label on the validate page before you answer."),
        Text("Please open this label on the validate page before you answer."),
    ),
}


def _unknown(task: Task, public_id: uuid.UUID) -> UnknownContribution:
    message = task_message(_UNKNOWN, task, id=str(public_id))
    if task is SPEAK:
        return UnknownRecording(message)
    return UnknownContribution(message)


class AlreadyVoted(Conflict):
    code = "already_voted"


# Speak's statements, built from the task templates (app/tasks/statements.py); the names
# stay, for the plan tests. _PICK_AND_SERVE is the pick, and the first time this session was
# handed each clip remembered, in one statement (a vote counts only after it could be heard).
_PICK_CLIPS = SPEAK.sql.pick_to_validate
_PICK_AND_SERVE = SPEAK.sql.pick_and_serve
_SERVE = """
INSERT INTO clip_servings (contributor_id, contribution_id)
SELECT %(me)s, unnest(%(ids)s::bigint[])
    ON CONFLICT (contributor_id, contribution_id) DO NOTHING
"""


def pick_clips_to_validate(
    conn: Conn,
    language_code: str,
    contributor_id: uuid.UUID | None,
    *,
    count: int,
    report_limit: int,
    rules: Settings | None = None,
) -> list[dict[str, Any]]:
    """Up to `count` recordings for this person to check: never their own, nor ones they
    voted on or skipped, nor reported ones; closest to a decision first, then oldest.

    With a session (`contributor_id`) and `rules`: during warm-up only practice clips (marked
    `practice`); otherwise some pending clips are swapped, at random places, for hidden
    known-answer checks that look like any other clip. Every clip handed out is remembered
    (clip_servings) for the listening rule.
    """
    return pick_to_validate(
        conn, SPEAK, language_code, contributor_id, count=count, report_limit=report_limit,
        rules=rules,
    )  # fmt: skip


def pick_to_validate(
    conn: Conn,
    task: Task,
    language_code: str,
    contributor_id: uuid.UUID | None,
    *,
    count: int,
    report_limit: int,
    rules: Settings | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """`pick_clips_to_validate` for any task (`source`: translate's source language, or None
    for every one)."""
    me = contributor_id or uuid.UUID(int=0)
    if contributor_id is None or rules is None:
        return _strip(_pick_pending(conn, task, language_code, me, count, report_limit, source))
    mine = standing(conn, contributor_id, language_code, rules, task)
    if mine["state"] == "warmup":
        left = max(1, rules.warmup_clips - int(mine["practice_answered"]))
        picked = pick_known_answers(
            conn, language_code, me, count=min(count, left), pool=PRACTICE_POOL, exclude=[],
            task=task, source=source,
        )  # fmt: skip
        for clip in picked:
            clip["practice"] = True
        served = picked
    else:
        # Served as they are picked; one swapped below for a check stays served, unseen.
        picked = _pick_pending(
            conn, task, language_code, me, count, report_limit, source, serve=True
        )
        served = []
        checks = sum(
            random.randrange(100) < check_percent(rules, mine["state"]) for _ in range(count)
        )
        if checks:
            served = pick_known_answers(
                conn, language_code, me, count=checks, pool=CHECK_POOL,
                exclude=[clip["row_id"] for clip in picked], task=task, source=source,
            )  # fmt: skip
            for check in served:
                if len(picked) >= count:
                    picked.pop(random.randrange(len(picked)))
                picked.insert(random.randrange(len(picked) + 1), check)
    if served:
        conn.execute(_SERVE, {"me": contributor_id, "ids": [c["row_id"] for c in served]})
    return _strip(picked)


def _pick_pending(
    conn: Conn,
    task: Task,
    language: str,
    me: uuid.UUID,
    count: int,
    report_limit: int,
    source: str | None,
    *,
    serve: bool = False,
) -> list[dict[str, Any]]:
    params = {"language": language, "me": me, "report_limit": report_limit, "count": count}
    if task.by_source:
        params["source"] = source
    return conn.execute(
        task.sql.pick_and_serve if serve else task.sql.pick_to_validate, params
    ).fetchall()


def _strip(clips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The clips as the API shows them (internal row ids left out)."""
    for clip in clips:
        for internal in ("row_id", "closeness", "made"):
            clip.pop(internal, None)
    return clips


_GET_RECORDING = SPEAK.sql.get_contribution


def get_recording(conn: Conn, public_id: uuid.UUID, task: Task = SPEAK) -> dict[str, Any]:
    """The contribution of `task` with this public id (id, contributor, media); raises
    UnknownRecording (speak) or UnknownContribution."""
    row = conn.execute(task.sql.get_contribution, (public_id,)).fetchone()
    if row is None:
        raise _unknown(task, public_id)
    return row


class RecordingRemoved(Conflict):
    code = "recording_removed"


class ItemRetired(Conflict):
    code = "item_retired"


class NotListened(CrowdsourceError):
    code = "not_listened"
    http_status = 422


@dataclass(frozen=True)
class VoteOutcome:
    """What a vote did. `decision` is the verdict this vote made (None if it made none);
    `expected` is the known answer, told only after a practice clip."""

    recording_id: str
    verdict: str
    created: bool
    counted: bool
    decision: str | None = None
    practice: bool = False
    expected: str | None = None
    achievements: tuple[dict[str, Any], ...] = ()  # badges and milestones this vote earned


# Everything the rules need, read under the recording's lock: the vote that follows is
# decided on this row, and a concurrent vote on the recording waits for this one.
_LOCK_RECORDING = SPEAK.sql.lock_contribution

# The vote and, when it counts, the recording's new counts and verdict, in one statement (the
# recording's row is locked by _LOCK_RECORDING, so the counts read there are current). The
# verdict rule is contribution_verdict, in SQL (migration 0009), shared with recompute_verdicts.
_STORE_VOTE = """
WITH vote AS (
    INSERT INTO validations (contribution_id, validator_id, verdict, role, counted, expected)
    VALUES (%(id)s, %(validator)s, %(verdict)s, %(role)s, %(counted)s, %(expected)s)
        ON CONFLICT (contribution_id, validator_id) DO NOTHING RETURNING id
), verdict AS (
    SELECT contribution_verdict(%(accepts)s, %(rejects)s, %(n)s) AS status
)
UPDATE contributions
   SET accept_count = %(accepts)s, reject_count = %(rejects)s,
       -- an operator's known answer is the verdict, whatever the votes say
       status = CASE WHEN known_answer_source = 'operator' THEN contributions.status
                     ELSE v.status END,
       decided_at = CASE WHEN known_answer_source = 'operator' THEN decided_at
                         WHEN v.status = 'pending' THEN NULL
                         WHEN contributions.status = v.status THEN decided_at
                         ELSE now() END,
       -- decided with no dissent: a known answer for measuring validators (ADR 0009)
       known_answer = CASE WHEN known_answer_source = 'operator' THEN known_answer
                           WHEN v.status = 'accepted' AND %(rejects)s = 0 THEN 'accept'
                           WHEN v.status = 'rejected' AND %(accepts)s = 0 THEN 'reject' END,
       known_answer_source = CASE WHEN known_answer_source = 'operator' THEN 'operator'
                                  WHEN v.status = 'accepted' AND %(rejects)s = 0
                                    OR v.status = 'rejected' AND %(accepts)s = 0
                                  THEN 'majority' END
  FROM verdict v
 WHERE id = %(id)s AND %(counted)s AND EXISTS (SELECT 1 FROM vote)
RETURNING v.status
"""


def cast_vote(
    conn: Conn,
    validator_id: uuid.UUID,
    public_id: uuid.UUID,
    verdict: str,
    *,
    rules: Settings,
    task: Task = SPEAK,
    after_vote: Any = None,
    time_zone: str | None = None,
) -> VoteOutcome:
    """Record one validator's verdict and, when it counts, the recording's counts and status.

    The rules hold here, at the write: the clip must have been handed to this session at
    least `listen_percent` of its duration ago; the language open, the sentence active, the
    recording not removed. A vote on a known-answer clip is practice (warm-up) or a check and
    moves the validator's standing; an ordinary vote counts only in good standing. The same
    vote again changes nothing (created=False). Raises UnknownRecording, OwnRecording,
    AlreadyVoted, NotListened, RecordingRemoved, LanguageClosed, ItemRetired (and, for typed
    tasks, UnknownContribution and OwnItem).

    `after_vote(conn, rec, outcome)`, when given, runs after a new vote is stored, in the
    same transaction and under the same locks (a correction is stored so, see
    app/validate/corrections.py); it must be given inside a transaction.

    A new vote (practice and checks too: they are votes cast) counts toward the validator's
    progress, last, in the same transaction (app/progress; `time_zone` as the browser
    reported it); the outcome carries the badges and milestones it earned.
    """
    # First the voter's own row: a vote racing their erasure waits for it, then is refused.
    ensure_contributor(conn, validator_id)
    mine = locked_standing_for_contribution(conn, task, validator_id, public_id, rules)
    if mine is None:
        raise _unknown(task, public_id)
    language = mine["language_code"]
    rec = conn.execute(
        task.sql.lock_contribution,
        {"id": public_id, "me": validator_id, "listen": rules.listen_percent},
    ).fetchone()
    if rec is None:
        raise _unknown(task, public_id)
    if rec["contributor_id"] == validator_id:
        own = OwnRecording if task is SPEAK else OwnContribution
        raise own(task_message(_OWN, task))
    if rec.get("own_item") and rec["previous"] is None:
        raise OwnItem(task_message(_OWN_ITEM, task))
    if rec["previous"] is not None:
        if rec["previous"] != verdict:
            raise AlreadyVoted(task_message(_ALREADY_VOTED, task))
        return VoteOutcome(str(public_id), verdict, created=False, counted=False)
    if rec["status"] == "removed":
        raise RecordingRemoved(task_message(_REMOVED, task))
    if not rec["language_open"]:
        raise LanguageClosed(Text("This language is not taking votes at the moment."))
    if not rec["item_active"]:
        raise ItemRetired(task_message(_RETIRED, task))
    if not rec["listened"]:
        raise NotListened(_not_listened(task, served=rec["served"]))
    # A known answer measures the validator only when the clip was handed out as one (after
    # it was decided); a clip served while pending and decided since is an ordinary vote.
    known = rec["known_answer"] if rec["served_decided"] else None
    role = "vote" if known is None else "practice" if mine["state"] == "warmup" else "check"
    counted = role == "vote" and mine["state"] == "counting"
    accepts = rec["accept_count"] + (counted and verdict == "accept")
    rejects = rec["reject_count"] + (counted and verdict == "reject")
    stored = conn.execute(
        _STORE_VOTE,
        {
            "id": rec["id"], "validator": validator_id, "verdict": verdict, "role": role,
            "counted": counted, "expected": known,
            "accepts": accepts, "rejects": rejects,
            "n": votes_to_decide(conn, task, language, rules),
        },
    ).fetchone()  # fmt: skip
    if role != "vote":
        record_known_answer(conn, validator_id, language, role, verdict == known, rules, task)
        outcome = VoteOutcome(
            str(public_id), verdict, created=True, counted=False,
            practice=role == "practice", expected=known if role == "practice" else None,
        )  # fmt: skip
    else:
        decision = None
        if stored is not None and rec["status"] == "pending" and stored["status"] != "pending":
            decision = stored["status"]
        outcome = VoteOutcome(
            str(public_id), verdict, created=True, counted=counted, decision=decision
        )
    if after_vote is not None:
        after_vote(conn, rec, outcome)
    awarded = record_progress(
        conn, validator_id, language=language, task=task.name, category="validate",
        time_zone=time_zone,
    )  # fmt: skip
    return replace(outcome, achievements=tuple(awarded))


def _not_listened(task: Task, *, served: bool) -> Text:
    heard_in_part, never_served = _NOT_LISTENED[task.name]
    return heard_in_part if served else never_served


def skip_clip(
    conn: Conn,
    contributor_id: uuid.UUID,
    public_id: uuid.UUID,
    rules: Settings | None = None,
    task: Task = SPEAK,
) -> None:
    """Remember that this person passed on a recording (idempotent). Passing on a hidden
    known-answer check counts as disagreeing with it (else skipping every check would be a
    way never to be measured)."""
    recording = get_recording(conn, public_id, task)
    ensure_contributor(conn, contributor_id)
    skipped = conn.execute(
        "INSERT INTO skips (contributor_id, contribution_id) VALUES (%s, %s)"
        " ON CONFLICT (contributor_id, contribution_id) WHERE contribution_id IS NOT NULL"
        " DO NOTHING RETURNING id",
        (contributor_id, recording["id"]),
    ).fetchone()
    if skipped is None or rules is None or recording["known_answer"] is None:
        return
    served_as_known = conn.execute(
        "SELECT s.served_at >= c.decided_at AS known FROM clip_servings s"
        " JOIN contributions c ON c.id = s.contribution_id"
        " WHERE s.contributor_id = %s AND s.contribution_id = %s",
        (contributor_id, recording["id"]),
    ).fetchone()
    if not (served_as_known and served_as_known["known"]) or recording["id"] % 2 != CHECK_POOL:
        return
    mine = locked_standing_for_contribution(conn, task, contributor_id, public_id, rules)
    if mine is not None and mine["state"] in ("probation", "counting"):
        record_known_answer(
            conn, contributor_id, mine["language_code"], "check", False, rules, task
        )
