"""leaderboard.json: a board per language × task × period, from the refreshed view
dashboard_ranks (migration 0017), naming only people who opted in (see docs/dashboard.md).

The opt-in and the display name are read here, at publishing time, not when the view was
refreshed: someone who opted out or changed their name a moment ago is published as they are
now.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.dashboard.ranks import PERIODS, TASK_ORDER
from app.db import Conn

LEADERBOARD_SIZE = 10
LEADERBOARD_MINIMUM_PEOPLE = 5
WEEK = timedelta(days=7)

# Opted-in people with a display name, their place among the opted-in (`place`) and how many
# of them each board has (`named`); only the top LEADERBOARD_SIZE of each board come back.
_NAMED = """
SELECT *
  FROM (SELECT r.language_code, r.task, r.period, r.rank, r.people, r.contributions, r.votes,
               r.accepted, p.display_name,
               row_number() OVER (board ORDER BY r.rank) AS place, count(*) OVER board AS named
          FROM dashboard_ranks r
          JOIN contributors p ON p.id = r.contributor_id
         WHERE p.leaderboard_opt_in AND p.display_name IS NOT NULL
        WINDOW board AS (PARTITION BY r.language_code, r.task, r.period)) b
 WHERE place <= %(size)s
 ORDER BY language_code, task, period, rank
"""

# How many people each board ranks (opted in or not): "12th of 340" needs the 340.
_PEOPLE = """
SELECT language_code, task, period, max(people) AS people
  FROM dashboard_ranks
 WHERE rank = 1
 GROUP BY language_code, task, period
"""


def build_leaderboard(conn: Conn, languages: list[str]) -> dict[str, Any]:
    """Boards for every language of the summary × task × period: `shown: false` with an empty
    list where fewer than LEADERBOARD_MINIMUM_PEOPLE opted-in people are on it (none at all
    included); otherwise its top LEADERBOARD_SIZE opted-in people with their rank among
    everyone (`people`). The week is the 7 days before the views were refreshed (this
    transaction starts seconds after that)."""
    now = conn.execute("SELECT now() AS now").fetchone()["now"]  # type: ignore[index]
    boards: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
        code: {
            task: {period: {"shown": False, "people": 0, "contributors": []} for period in PERIODS}
            for task in TASK_ORDER
        }
        for code in languages
    }
    for row in conn.execute(_PEOPLE).fetchall():
        board = _board(boards, row)
        if board is not None:
            board["people"] = int(row["people"])
    for row in conn.execute(_NAMED, {"size": LEADERBOARD_SIZE}).fetchall():
        board = _board(boards, row)
        if board is None or row["named"] < LEADERBOARD_MINIMUM_PEOPLE:
            continue
        board["shown"] = True
        board["contributors"].append(
            {
                "rank": int(row["rank"]),
                "display_name": row["display_name"],
                "contributions": int(row["contributions"]),
                "votes": int(row["votes"]),
                "accepted": int(row["accepted"]),
            }
        )
    return {
        "minimum_people": LEADERBOARD_MINIMUM_PEOPLE,
        "size": LEADERBOARD_SIZE,
        "tasks": list(TASK_ORDER),
        "periods": list(PERIODS),
        "week": {
            "start": (now - WEEK).isoformat(timespec="seconds"),
            "end": now.isoformat(timespec="seconds"),
        },
        "languages": boards,
    }


def _board(boards: dict[str, Any], row: dict[str, Any]) -> dict[str, Any] | None:
    """The board a row belongs to; None for a language the summary leaves out."""
    language = boards.get(row["language_code"])
    return language[row["task"]][row["period"]] if language is not None else None
