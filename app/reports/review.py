"""The review queue: what reports hid, waiting for an operator to restore or remove it.

An item (a sentence, a recording, or since the tasks of ADR 0010 another item — clip, image,
prompt — or a typed contribution — transcript, translation, label) leaves the queues when
`report_count` (the reports of reporters with a track record, app/reports/service.py) reaches
REPORTS_TO_HIDE. It stays out until an operator decides (`crowdsource reports ...`):

- **restore**: the reports were wrong. Its open reports are dismissed, `report_count` goes back
  to 0 and the item is served again. A removed item comes back too (an operator's mistake
  can be undone): a recording gets the verdict of its counted votes again, a sentence is
  active again.
- **remove**: the reports were right. A recording's (or typed contribution's) status becomes
  'removed' (out of every queue, verdict, known-answer pool and export; votes on it answer 409
  recording_removed), a sentence or other item is made inactive; their open reports are
  resolved.

Each runs in the caller's transaction, takes the item's row lock first (the same lock a vote
takes, so a vote and a decision never interleave), and is idempotent: the same decision
again changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.db import Conn
from app.errors import BadRequest, NotFound
from app.reports.service import ITEM_TARGETS, TARGETS
from app.settings import Settings
from app.tasks import task_for_contribution
from app.validate.trust import recompute_verdicts, task_votes_to_decide

# Every item with open reports, hidden ones first. Driven by the partial indexes on open
# reports, so the queue costs what the open reports are, not what the tables are: a hidden
# item always has open reports (only counted open reports raise report_count, and every
# decision closes them).
_QUEUE = """
WITH per_reason AS (
    SELECT contribution_id, item_id, reason, count(*) AS n,
           count(*) FILTER (WHERE counted) AS counted, count(note) AS notes,
           min(created_at) AS first_at
      FROM reports WHERE status = 'open'
     GROUP BY contribution_id, item_id, reason
), per_target AS (
    SELECT contribution_id, item_id, jsonb_object_agg(reason, n) AS reasons,
           sum(n)::int AS open_reports, sum(counted)::int AS counted_reports,
           sum(notes)::int AS notes, min(first_at) AS first_reported_at
      FROM per_reason GROUP BY contribution_id, item_id
), items AS (
    SELECT CASE c.kind WHEN 'recording' THEN 'recording' ELSE 'contribution' END AS target,
           c.public_id::text AS id, c.language_code AS language,
           coalesce(c.text, d.text) AS sentence, c.status, c.report_count, p.open_reports,
           p.counted_reports, p.notes, p.reasons, p.first_reported_at
      FROM per_target p
      JOIN contributions c ON c.id = p.contribution_id
      JOIN dataset_rows d ON d.id = c.item_id
     WHERE c.status <> 'removed'
    UNION ALL
    SELECT CASE d.kind WHEN 'sentence' THEN 'sentence' ELSE 'item' END, d.id::text,
           d.language_code, coalesce(d.text, d.media_key), 'active', d.report_count,
           p.open_reports, p.counted_reports, p.notes, p.reasons, p.first_reported_at
      FROM per_target p
      JOIN dataset_rows d ON d.id = p.item_id
     WHERE d.is_active
)
SELECT *, report_count >= %(limit)s AS hidden FROM items
 WHERE report_count >= %(limit)s OR %(everything)s
 ORDER BY report_count >= %(limit)s DESC, report_count DESC, first_reported_at, target, id
"""

_NOTES = """
SELECT note FROM reports
 WHERE status = 'open' AND note IS NOT NULL AND {column} = %(id)s
 ORDER BY created_at, id
"""


def review_queue(
    conn: Conn, report_limit: int, include_uncounted: bool = False, *, with_notes: bool = False
) -> list[dict[str, Any]]:
    """The items reports hid (report_count >= `report_limit`, not removed), each with its
    open reports counted by reason and how many carry a note; hidden ones first, most
    reported first. With `include_uncounted`, also every other item with open reports
    (reports from sessions without a track record, or too few to hide it). With
    `with_notes`, each item also carries the notes themselves (strangers' text: shown as
    data, never interpreted)."""
    rows = conn.execute(_QUEUE, {"limit": report_limit, "everything": include_uncounted}).fetchall()
    for row in rows:
        row["reasons"] = dict(sorted((row["reasons"] or {}).items()))
        if with_notes:
            column = "item_id" if row["target"] in ITEM_TARGETS else "contribution_id"
            row_id = _lookup(conn, row["target"], row["id"], lock=False)["row_id"]
            row["notes_text"] = [
                r["note"] for r in conn.execute(_NOTES.format(column=column), {"id": row_id})
            ]
    return rows


@dataclass(frozen=True)
class Decision:
    """What a restore or remove did to one item."""

    target: str  # "sentence" | "recording" | "item" | "contribution"
    id: str  # the item's id, or the contribution's public id
    language: str
    action: str  # "restored" | "removed"
    changed: bool  # False when the item was already so (the same decision again)
    reports_closed: int  # reports dismissed (restore) or resolved (remove)
    status: str  # the item afterwards: a recording's status, "active" or "inactive"


def restore(
    conn: Conn, target: str, target_id: Any, votes_to_decide: int = Settings.votes_to_decide
) -> Decision:
    """Put a reported item back in the queues: its open reports are dismissed and its
    report_count set to 0. A removed recording gets back the verdict of its counted votes
    (`votes_to_decide`, VOTES_TO_DECIDE) and a removed sentence is active again; the reports
    that had been resolved by the removal are dismissed too. Raises NotFound for an unknown
    id, BadRequest for an unknown target."""
    item = _lookup(conn, target, target_id, lock=True)
    was_removed = item["removed"]
    closed = conn.execute(
        f"UPDATE reports SET status = 'dismissed' WHERE {item['column']} = %(id)s"
        "   AND (status = 'open' OR (%(was_removed)s AND status = 'resolved'))",
        {"id": item["row_id"], "was_removed": was_removed},
    ).rowcount
    conn.execute(
        f"UPDATE {item['table']} SET report_count = 0 WHERE id = %(id)s AND report_count <> 0",
        {"id": item["row_id"]},
    )
    if was_removed and target not in ITEM_TARGETS:
        # Out of 'removed' first (the recount leaves removed recordings alone): pending, or
        # the verdict an operator's known answer gives it (which the recount keeps). A typed
        # contribution is recounted with its task's number for the language.
        conn.execute(_UNREMOVE, {"id": item["row_id"]})
        if target == "contribution":
            task = task_for_contribution(item["kind"])
            votes_to_decide = task_votes_to_decide(conn, task, item["language"], votes_to_decide)
        recompute_verdicts(conn, [item["row_id"]], votes_to_decide=votes_to_decide)
        conn.execute(_FOLLOWING_ITEM, {"id": item["row_id"], "active": True})
    elif was_removed:
        conn.execute("UPDATE dataset_rows SET is_active = true WHERE id = %(id)s",
                     {"id": item["row_id"]})  # fmt: skip
    after = _lookup(conn, target, target_id, lock=False)
    changed = bool(closed) or was_removed or item["report_count"] != 0
    return Decision(target, item["id"], item["language"], "restored", changed, closed,
                    after["status"])  # fmt: skip


def remove(
    conn: Conn, target: str, target_id: Any, votes_to_decide: int = Settings.votes_to_decide
) -> Decision:
    """Take a reported item out for good: a recording's status becomes 'removed' (its
    decided_at kept, or set now; its votes and counts kept, so that a restore can recount
    them with `votes_to_decide`), a sentence becomes inactive; open reports are resolved.
    Raises NotFound for an unknown id, BadRequest for an unknown target."""
    del votes_to_decide  # removal keeps the counts; only a restore recounts them
    item = _lookup(conn, target, target_id, lock=True)
    closed = conn.execute(
        f"UPDATE reports SET status = 'resolved' WHERE {item['column']} = %(id)s"
        "   AND status = 'open'",
        {"id": item["row_id"]},
    ).rowcount
    if target not in ITEM_TARGETS:
        conn.execute(
            "UPDATE contributions SET status = 'removed', decided_at = coalesce(decided_at, now())"
            " WHERE id = %(id)s AND status <> 'removed'",
            {"id": item["row_id"]},
        )
        conn.execute(_FOLLOWING_ITEM, {"id": item["row_id"], "active": False})
    else:
        conn.execute("UPDATE dataset_rows SET is_active = false WHERE id = %(id)s AND is_active",
                     {"id": item["row_id"]})  # fmt: skip
    changed = bool(closed) or not item["removed"]
    status = "inactive" if target in ITEM_TARGETS else "removed"
    return Decision(target, item["id"], item["language"], "removed", changed, closed, status)


# A clip to transcribe made from the recording (ADR 0010) leaves the queues with it, and comes
# back with it.
_FOLLOWING_ITEM = """
UPDATE dataset_rows SET is_active = %(active)s
 WHERE source_contribution_id = %(id)s AND is_active <> %(active)s
"""

_UNREMOVE = """
UPDATE contributions
   SET status = CASE WHEN known_answer_source <> 'operator' OR known_answer IS NULL THEN 'pending'
                     WHEN known_answer = 'accept' THEN 'accepted' ELSE 'rejected' END,
       decided_at = CASE WHEN known_answer_source = 'operator' THEN decided_at END
 WHERE id = %(id)s
"""

# A recording, or (target contribution) a transcript, translation or label.
_CONTRIBUTION = """
SELECT c.id AS row_id, c.public_id::text AS id, c.language_code AS language, c.status,
       c.report_count, c.status = 'removed' AS removed, c.kind
  FROM contributions c
 WHERE c.public_id = %(id)s AND (c.kind = 'recording') = (%(target)s = 'recording')
"""

# A sentence (or, target item, any other item) counts as removed by a review when it is
# inactive and has resolved reports (an inactive sentence without them was retired with its
# ingest batch: a restore leaves that be).
_ITEM = """
SELECT d.id AS row_id, d.id::text AS id, d.language_code AS language,
       CASE WHEN d.is_active THEN 'active' ELSE 'inactive' END AS status, d.report_count,
       NOT d.is_active AND EXISTS (SELECT 1 FROM reports r
                                    WHERE r.item_id = d.id AND r.status = 'resolved') AS removed
  FROM dataset_rows d
 WHERE d.id = %(id)s AND (d.kind = 'sentence') = (%(target)s = 'sentence')
"""


def _lookup(conn: Conn, target: str, target_id: Any, *, lock: bool) -> dict[str, Any]:
    """The item's row (and its row lock with `lock`); raises NotFound or BadRequest."""
    if target not in TARGETS:
        raise BadRequest(f"unknown target {target!r}: give one of {', '.join(TARGETS)}")
    code = {"recording": "unknown_recording", "contribution": "unknown_contribution"}.get(
        target, "unknown_item"
    )
    if target not in ITEM_TARGETS:
        try:
            key: Any = uuid.UUID(str(target_id))
        except ValueError:
            raise NotFound(f"there is no {target} with id {target_id!r}", code=code) from None
        query, extra = _CONTRIBUTION, {"table": "contributions", "column": "contribution_id"}
        lock_clause = " FOR NO KEY UPDATE OF c"
    else:
        text = str(target_id).strip()
        if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
            raise NotFound(f"there is no {target} with id {target_id!r}", code=code)
        key = int(text)
        query, extra = _ITEM, {"table": "dataset_rows", "column": "item_id"}
        lock_clause = " FOR NO KEY UPDATE OF d"
    params = {"id": key, "target": target}
    row = conn.execute(query + (lock_clause if lock else ""), params).fetchone()
    if row is None:
        raise NotFound(f"there is no {target} with id {target_id}", code=code)
    return {**row, **extra}
