"""Validate: the queue of recordings to check, votes and the verdict rule, skips."""

from __future__ import annotations

import uuid
from typing import Any

from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import Conflict, CrowdsourceError, NotFound

VERDICTS = ("accept", "reject")


class UnknownRecording(NotFound):
    code = "unknown_recording"


class OwnRecording(CrowdsourceError):
    code = "own_recording"
    http_status = 403


class AlreadyVoted(Conflict):
    code = "already_voted"


_PICK_CLIPS = """
SELECT c.public_id::text AS id, d.text AS sentence, c.duration_ms
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


def pick_clips_to_validate(
    conn: Conn,
    language_code: str,
    contributor_id: uuid.UUID | None,
    *,
    count: int,
    report_limit: int,
) -> list[dict[str, Any]]:
    """Up to `count` pending recordings for this person to check: never their own, nor ones they
    voted on or skipped, nor reported ones; closest to a decision first, then oldest."""
    return conn.execute(
        _PICK_CLIPS,
        {
            "language": language_code,
            "me": contributor_id or uuid.UUID(int=0),
            "report_limit": report_limit,
            "count": count,
        },
    ).fetchall()


_GET_RECORDING = """
SELECT id, public_id, contributor_id, language_code, media_key, media_type, status
  FROM contributions WHERE public_id = %s AND kind = 'recording'
"""


def get_recording(conn: Conn, public_id: uuid.UUID) -> dict[str, Any]:
    """The recording with this public id (id, contributor, media); raises UnknownRecording."""
    row = conn.execute(_GET_RECORDING, (public_id,)).fetchone()
    if row is None:
        raise UnknownRecording(f"There is no recording with id '{public_id}'.")
    return row


def verdict_for(accepts: int, rejects: int, *, votes_to_decide: int) -> str:
    """Common Voice's rule: accepted at >= N accepts with more accepts than rejects, rejected at
    >= N rejects with more rejects than accepts, otherwise still pending (ties stay pending)."""
    if accepts >= votes_to_decide and accepts > rejects:
        return "accepted"
    if rejects >= votes_to_decide and rejects > accepts:
        return "rejected"
    return "pending"


def decided_by_vote(recording: dict[str, Any], verdict: str, votes_to_decide: int) -> str | None:
    """The decision (accepted or rejected) that this new `verdict` made, given the counts
    `cast_vote` returned after it; None if the recording was decided before or is still open."""
    accepts = int(recording["accept_count"]) - (verdict == "accept")
    rejects = int(recording["reject_count"]) - (verdict == "reject")
    before = verdict_for(accepts, rejects, votes_to_decide=votes_to_decide)
    after = str(recording["status"])
    return after if before == "pending" and after != "pending" else None


_LOCK_RECORDING = """
SELECT id, contributor_id, accept_count, reject_count, status
  FROM contributions WHERE public_id = %s AND kind = 'recording'
   FOR NO KEY UPDATE
"""

_INSERT_VOTE = """
WITH validator AS (
    INSERT INTO contributors (id) VALUES (%(validator)s) ON CONFLICT (id) DO NOTHING
)
INSERT INTO validations (contribution_id, validator_id, verdict)
VALUES (%(recording)s, %(validator)s, %(verdict)s)
    ON CONFLICT (contribution_id, validator_id) DO NOTHING RETURNING id
"""

_STORE_COUNTS = """
UPDATE contributions
   SET accept_count = %(accepts)s, reject_count = %(rejects)s, status = %(status)s,
       decided_at = CASE WHEN %(status)s = 'pending' THEN NULL
                         WHEN status = %(status)s THEN decided_at
                         ELSE now() END
 WHERE id = %(id)s
RETURNING public_id::text AS id, accept_count, reject_count, status
"""


def cast_vote(
    conn: Conn,
    validator_id: uuid.UUID,
    public_id: uuid.UUID,
    verdict: str,
    *,
    votes_to_decide: int,
) -> tuple[dict[str, Any], bool]:
    """Record one validator's verdict and update the counts and status; return (recording, created).

    The recording's row is locked first, so concurrent voters on one recording take turns and
    each counts from the totals the previous one left. The same vote again changes nothing
    (created=False). Raises UnknownRecording, OwnRecording, or AlreadyVoted (a different
    verdict from the same validator).
    """
    recording = conn.execute(_LOCK_RECORDING, (public_id,)).fetchone()
    if recording is None:
        raise UnknownRecording(f"There is no recording with id '{public_id}'.")
    if recording["contributor_id"] == validator_id:
        raise OwnRecording("You can't validate your own recording.")
    # The validator's row and the vote in one statement (one round trip instead of two).
    inserted = conn.execute(
        _INSERT_VOTE, {"recording": recording["id"], "validator": validator_id, "verdict": verdict}
    ).fetchone()
    if inserted is None:
        previous = conn.execute(
            "SELECT verdict FROM validations WHERE contribution_id = %s AND validator_id = %s",
            (recording["id"], validator_id),
        ).fetchone()
        if previous is not None and previous["verdict"] != verdict:
            raise AlreadyVoted("You have already voted on this recording.")
        return _counts(conn, recording["id"]), False
    accepts = recording["accept_count"] + (verdict == "accept")
    rejects = recording["reject_count"] + (verdict == "reject")
    row = conn.execute(
        _STORE_COUNTS,
        {
            "id": recording["id"],
            "accepts": accepts,
            "rejects": rejects,
            "status": verdict_for(accepts, rejects, votes_to_decide=votes_to_decide),
        },
    ).fetchone()
    assert row is not None  # the row is locked by this transaction
    return row, True


def _counts(conn: Conn, contribution_id: int) -> dict[str, Any]:
    row = conn.execute(
        "SELECT public_id::text AS id, accept_count, reject_count, status"
        " FROM contributions WHERE id = %s",
        (contribution_id,),
    ).fetchone()
    assert row is not None
    return row


def skip_clip(conn: Conn, contributor_id: uuid.UUID, public_id: uuid.UUID) -> None:
    """Remember that this person passed on a recording (idempotent)."""
    recording = get_recording(conn, public_id)
    ensure_contributor(conn, contributor_id)
    conn.execute(
        "INSERT INTO skips (contributor_id, contribution_id) VALUES (%s, %s)"
        " ON CONFLICT (contributor_id, contribution_id) WHERE contribution_id IS NOT NULL"
        " DO NOTHING",
        (contributor_id, recording["id"]),
    )
