"""Progress at the write: counts, days of activity, badges and milestones (issue #20).

`record_progress` runs inside the transaction of every new contribution and vote (speak's
`save_recording`, the typed tasks' `save_text`, `cast_vote`), never on a read, and never for a
retry that stored nothing. It first locks the person's contributors row (FOR NO KEY UPDATE,
which foreign-key checks do not wait for), so two concurrent writes of one person are counted
one after the other: the second sees the first's counts and days, each threshold is crossed
by exactly one write and awarded once (the unique index `achievements_once` is the backstop).
The lock is taken last in every write path, after the write's own locks, so it adds no
deadlock. Every threshold at or under the new value that is not held yet is awarded: one
write may cross two (history from before migration 0016 earns its badges at the next write).

Days are the person's local days: the time zone their browser reported (app/progress/zones.py),
else the one stored, else UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.db import Conn
from app.progress.zones import valid_time_zone

BADGE_LEVELS = {5: "bronze", 50: "silver", 200: "gold", 600: "platinum"}
STREAK_MILESTONES = (1, 3, 5, 10, 15)
ITEMS_MILESTONES = (5, 20, 50, 100, 150)
CATEGORIES = ("contribute", "validate")


def utc_now() -> datetime:
    """The clock of this module (tests replace it to write on another day)."""
    return datetime.now(UTC)


def local_today(time_zone: str) -> date:
    """Today's date in `time_zone` (a zone checked by `valid_time_zone`)."""
    return utc_now().astimezone(ZoneInfo(time_zone)).date()


# Locks the person's row for the rest of the transaction and reads their stored zone.
_LOCK_PERSON = "SELECT time_zone FROM contributors WHERE id = %(me)s FOR NO KEY UPDATE"
_STORE_ZONE = "UPDATE contributors SET time_zone = %(zone)s WHERE id = %(me)s"
_COUNT = """
INSERT INTO progress_counts AS p (contributor_id, language_code, task, category, count)
VALUES (%(me)s, %(language)s, %(task)s, %(category)s, 1)
    ON CONFLICT (contributor_id, language_code, task, category)
    DO UPDATE SET count = p.count + 1
RETURNING count
"""
_DAY = """
INSERT INTO daily_activity AS d (contributor_id, day, task, contributed, validated)
VALUES (%(me)s, %(day)s, %(task)s, %(contributed)s, %(validated)s)
    ON CONFLICT (contributor_id, day, task)
    DO UPDATE SET contributed = d.contributed + EXCLUDED.contributed,
                  validated = d.validated + EXCLUDED.validated
"""
_TOTAL_ITEMS = """
SELECT coalesce(sum(count), 0)::int AS total FROM progress_counts WHERE contributor_id = %s
"""
# The active days of the last `limit` days up to `today`, newest first (a streak is read
# from here; a person's days are few, served by the primary key).
_RECENT_DAYS = """
SELECT DISTINCT day FROM daily_activity
 WHERE contributor_id = %(me)s AND day <= %(today)s AND day > %(today)s - %(limit)s::int
   AND contributed + validated > 0
 ORDER BY day DESC
"""
# Only thresholds not yet held are inserted (exact under the person's lock); ON CONFLICT
# keeps the index the last word.
_AWARD = """
WITH awarded AS (
INSERT INTO achievements (contributor_id, kind, language_code, task, category, threshold)
SELECT %(me)s, a.kind, a.language, a.task, a.category, a.threshold
  FROM unnest(%(kinds)s::text[], %(languages)s::text[], %(tasks)s::text[],
              %(categories)s::text[], %(thresholds)s::int[])
       AS a(kind, language, task, category, threshold)
 WHERE NOT EXISTS (
       SELECT 1 FROM achievements h
        WHERE h.contributor_id = %(me)s AND h.kind = a.kind AND h.threshold = a.threshold
          AND coalesce(h.language_code, '') = coalesce(a.language, '')
          AND coalesce(h.task, '') = coalesce(a.task, '')
          AND coalesce(h.category, '') = coalesce(a.category, ''))
    ON CONFLICT DO NOTHING
RETURNING kind, language_code, task, category, threshold
)
SELECT a.*, l.name AS language_name
  FROM awarded a LEFT JOIN languages l ON l.code = a.language_code
"""


def resolve_time_zone(conn: Conn, contributor_id: uuid.UUID, reported: str | None) -> str:
    """The zone to count this person's days in: `reported` when valid, else the stored one,
    else UTC. Reads only (for GETs)."""
    zone = valid_time_zone(reported)
    if zone is not None:
        return zone
    row = conn.execute(
        "SELECT time_zone FROM contributors WHERE id = %s", (contributor_id,)
    ).fetchone()
    return valid_time_zone(row["time_zone"] if row else None) or "UTC"


def record_progress(
    conn: Conn,
    contributor_id: uuid.UUID,
    *,
    language: str,
    task: str,
    category: str,
    time_zone: str | None,
) -> list[dict[str, Any]]:
    """Count one new contribution (`category` "contribute") or vote ("validate") of `task` in
    `language`, on today's date in the person's zone, and award every badge, streak and items
    milestone it reaches that the person does not hold; return the newly awarded ones.

    Call it in the write's transaction, only when the write stored a new row; the contributor
    row must exist. `time_zone` is the zone the browser reported (None or invalid: the stored
    one); a valid one that differs from the stored one is stored."""
    assert category in CATEGORIES
    me = {"me": contributor_id}
    person = conn.execute(_LOCK_PERSON, me).fetchone()
    stored = valid_time_zone(person["time_zone"]) if person else None
    zone = valid_time_zone(time_zone)
    if zone is not None and zone != (person or {}).get("time_zone"):
        conn.execute(_STORE_ZONE, {**me, "zone": zone})
    zone = zone or stored or "UTC"
    today = local_today(zone)

    line = {**me, "language": language, "task": task, "category": category}
    counted = conn.execute(_COUNT, line).fetchone()
    assert counted is not None  # an upsert returns its row
    count = counted["count"]
    conn.execute(
        _DAY,
        {**me, "day": today, "task": task,
         "contributed": int(category == "contribute"), "validated": int(category == "validate")},
    )  # fmt: skip
    summed = conn.execute(_TOTAL_ITEMS, (contributor_id,)).fetchone()
    total = summed["total"] if summed else 0
    streak = current_streak(conn, contributor_id, today)

    due: list[tuple[str, str | None, str | None, str | None, int]] = []
    due += [("badge", language, task, category, t) for t in BADGE_LEVELS if t <= count]
    due += [("streak", None, None, None, t) for t in STREAK_MILESTONES if t <= streak]
    due += [("items", None, None, None, t) for t in ITEMS_MILESTONES if t <= total]
    return award(conn, contributor_id, due)


def award(
    conn: Conn,
    contributor_id: uuid.UUID,
    due: list[tuple[str, str | None, str | None, str | None, int]],
) -> list[dict[str, Any]]:
    """Insert the achievements in `due` (kind, language, task, category, threshold) that the
    person does not hold; return those inserted, in a stable order, as the API shows them."""
    if not due:
        return []
    kinds, languages, tasks, categories, thresholds = (
        list(column) for column in zip(*due, strict=True)
    )
    rows = conn.execute(
        _AWARD,
        {"me": contributor_id, "kinds": kinds, "languages": languages, "tasks": tasks,
         "categories": categories, "thresholds": thresholds},
    ).fetchall()  # fmt: skip
    order = {"badge": 0, "items": 1, "streak": 2}
    rows.sort(key=lambda r: (order[r["kind"]], r["threshold"]))
    return [achievement(row) for row in rows]


def achievement(row: dict[str, Any]) -> dict[str, Any]:
    """An achievements row as the API shows it."""
    return {
        "kind": row["kind"],
        "level": BADGE_LEVELS.get(row["threshold"]) if row["kind"] == "badge" else None,
        "threshold": row["threshold"],
        "language": row["language_code"],
        "language_name": row.get("language_name"),  # in English; pages show their own
        "task": row["task"],
        "category": row["category"],
    }


def current_streak(conn: Conn, contributor_id: uuid.UUID, today: date) -> int:
    """Days in a row with at least one item, counted back from `today` (0 if today has none)."""
    return _run_back_from(_recent_days(conn, contributor_id, today), today)


def _recent_days(conn: Conn, contributor_id: uuid.UUID, today: date) -> set[date]:
    # A streak longer than the highest milestone is read in full only for "best" (views).
    rows = conn.execute(_RECENT_DAYS, {"me": contributor_id, "today": today, "limit": 400})
    return {row["day"] for row in rows.fetchall()}


def _run_back_from(days: set[date], start: date) -> int:
    run = 0
    while start - timedelta(days=run) in days:
        run += 1
    return run
