"""A person's own positions on the leaderboards, read from the refreshed view dashboard_ranks
(migration 0017) by its contributor index: nothing is counted per request, so the figures are
as of the last `crowdsource refresh`."""

from __future__ import annotations

import uuid
from typing import Any

from app.db import Conn

TASK_ORDER = ("speak", "transcribe", "translate", "label")
PERIODS = ("week", "all")

_MINE = """
SELECT language_code, task, period, rank, people, contributions, votes, accepted
  FROM dashboard_ranks
 WHERE contributor_id = %(id)s
 ORDER BY language_code,
          array_position(%(tasks)s::text[], task),
          array_position(%(periods)s::text[], period)
"""

_AS_OF = """
SELECT finished_at FROM dashboard_refreshes
 WHERE status = 'succeeded' ORDER BY started_at DESC LIMIT 1
"""


def my_ranks(conn: Conn, contributor_id: uuid.UUID | None) -> dict[str, Any]:
    """The person's position per language × task × period among everyone who contributed or
    voted there (opted in to the boards or not), and when the figures were computed; an empty
    list (and `as_of` all the same) for someone without a session or with nothing counted yet."""
    ranks: list[dict[str, Any]] = []
    if contributor_id is not None:
        rows = conn.execute(
            _MINE, {"id": contributor_id, "tasks": list(TASK_ORDER), "periods": list(PERIODS)}
        ).fetchall()
        ranks = [
            {
                "language": row["language_code"],
                "task": row["task"],
                "period": row["period"],
                "rank": row["rank"],
                "people": row["people"],
                "contributions": row["contributions"],
                "votes": row["votes"],
                "accepted": row["accepted"],
            }
            for row in rows
        ]
    refreshed = conn.execute(_AS_OF).fetchone()
    finished = refreshed["finished_at"] if refreshed else None
    as_of = finished.isoformat(timespec="seconds") if finished else None
    return {"ranks": ranks, "as_of": as_of}
