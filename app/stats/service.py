"""What is waiting and what just happened, per language: for /metrics and `crowdsource status`.

Each count is served by an index of the queue it measures (the partial indexes of
pick_sentences_to_record and pick_clips_to_validate), so a scrape stays cheap at millions of rows.
"""

from __future__ import annotations

from typing import Any

from app.db import Conn

_QUEUE_DEPTHS = """
SELECT l.code AS language,
       (SELECT count(*) FROM dataset_rows d
         WHERE d.language_code = l.code AND d.kind = 'sentence' AND d.is_active
           AND d.contribution_count < l.max_recordings_per_item
           AND d.report_count < %(report_limit)s) AS to_record,
       (SELECT count(*) FROM contributions c
         WHERE c.language_code = l.code AND c.status = 'pending' AND c.kind = 'recording'
           AND c.report_count < %(report_limit)s) AS to_validate
  FROM languages l
 WHERE l.is_active
 ORDER BY l.code
"""

_RECENT_CONTRIBUTIONS = """
SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour') AS last_hour,
       count(*) AS last_day
  FROM contributions
 WHERE created_at > now() - interval '1 day'
"""


def queue_depths(conn: Conn, *, report_limit: int) -> list[dict[str, Any]]:
    """Per active language: sentences still wanting recordings (below the language's cap, not
    hidden by reports) and recordings waiting for votes."""
    return conn.execute(_QUEUE_DEPTHS, {"report_limit": report_limit}).fetchall()


def recent_contributions(conn: Conn) -> dict[str, int]:
    """Recordings made in the last hour and the last day."""
    row = conn.execute(_RECENT_CONTRIBUTIONS).fetchone()
    return {"last_hour": int(row["last_hour"]), "last_day": int(row["last_day"])} if row else {}
