"""What a person has earned and where they stand (read only: nothing is awarded here), and
their weekly goals."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from app.db import Conn
from app.i18n.text import Text
from app.inputs import InvalidField
from app.progress.service import (
    BADGE_LEVELS,
    ITEMS_MILESTONES,
    STREAK_MILESTONES,
    achievement,
    local_today,
)

TASKS = ("speak", "transcribe", "translate", "label")
GOAL_MIN, GOAL_MAX = 1, 10000


_LINES = """
SELECT p.language_code, l.name AS language_name, l.native_name AS language_native_name,
       p.task, p.category, p.count
  FROM progress_counts p JOIN languages l ON l.code = p.language_code
 WHERE p.contributor_id = %s AND p.count > 0
 ORDER BY p.count DESC, p.language_code, p.task, p.category
"""
_HELD = """
SELECT a.kind, a.language_code, l.name AS language_name, a.task, a.category, a.threshold,
       a.awarded_at
  FROM achievements a LEFT JOIN languages l ON l.code = a.language_code
 WHERE a.contributor_id = %s
 ORDER BY a.awarded_at, a.threshold
"""
_DAYS = """
SELECT day FROM daily_activity
 WHERE contributor_id = %s AND contributed + validated > 0
 GROUP BY day ORDER BY day
"""
_WEEK = """
SELECT task, sum(contributed + validated)::int AS done FROM daily_activity
 WHERE contributor_id = %(me)s AND day BETWEEN %(start)s AND %(end)s
 GROUP BY task
"""
_GOALS = "SELECT task, target FROM weekly_goals WHERE contributor_id = %s ORDER BY task"


def progress_summary(conn: Conn, contributor_id: uuid.UUID | None, time_zone: str) -> dict:
    """Badges held per line of work (language × task × category, with its count and the next
    badge), the streak, milestones and weekly goals, seen from today in `time_zone`. Without a
    person (`None`): all empty and zero."""
    today = local_today(time_zone)
    start = today - timedelta(days=today.weekday())
    week = {"start": start.isoformat(), "end": (start + timedelta(days=6)).isoformat()}
    if contributor_id is None:
        return {
            "badges": [], "milestones": [], "items": {"total": 0, "next": ITEMS_MILESTONES[0]},
            "streak": {"current": 0, "best": 0, "today": False, "next": STREAK_MILESTONES[0]},
            "goals": [], "week": week, "time_zone": time_zone,
        }  # fmt: skip
    held = [dict(row) for row in conn.execute(_HELD, (contributor_id,)).fetchall()]
    lines = conn.execute(_LINES, (contributor_id,)).fetchall()
    badges = [_line(line, held) for line in lines]
    total = sum(line["count"] for line in lines)
    streak = _streak(conn, contributor_id, today)
    milestones = [
        {**achievement(row), "awarded_at": row["awarded_at"].isoformat()}
        for row in held
        if row["kind"] != "badge"
    ]
    return {
        "badges": badges,
        "milestones": milestones,
        "items": {"total": total, "next": _next(ITEMS_MILESTONES, total)},
        "streak": {**streak, "next": _next(STREAK_MILESTONES, streak["current"])},
        "goals": weekly_goals(conn, contributor_id, start),
        "week": week,
        "time_zone": time_zone,
    }


def _line(line: dict[str, Any], held: list[dict[str, Any]]) -> dict[str, Any]:
    mine = sorted(
        row["threshold"]
        for row in held
        if row["kind"] == "badge"
        and (row["language_code"], row["task"], row["category"])
        == (line["language_code"], line["task"], line["category"])
    )
    upcoming = [t for t in BADGE_LEVELS if t not in mine]
    following = upcoming[0] if upcoming else None
    return {
        "language": line["language_code"],
        "language_name": line["language_name"],
        "language_native_name": line["language_native_name"],
        "task": line["task"],
        "category": line["category"],
        "count": line["count"],
        "held": [{"level": BADGE_LEVELS[t], "threshold": t} for t in mine],
        "next": ({"level": BADGE_LEVELS[following], "threshold": following} if following else None),
    }


def _next(thresholds: tuple[int, ...], value: int) -> int | None:
    return next((t for t in thresholds if t > value), None)


def _streak(conn: Conn, contributor_id: uuid.UUID, today: date) -> dict[str, Any]:
    """Current run (ending today, or yesterday while today has nothing yet: the streak is
    still alive), the best run ever, and whether today counts already."""
    days = [row["day"] for row in conn.execute(_DAYS, (contributor_id,)).fetchall()]
    active = set(days)
    counted_today = today in active
    end = today if counted_today else today - timedelta(days=1)
    current = 0
    while end - timedelta(days=current) in active:
        current += 1
    best = run = 0
    previous: date | None = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return {"current": current, "best": max(best, current), "today": counted_today}


def weekly_goals(conn: Conn, contributor_id: uuid.UUID, week_start: date) -> list[dict]:
    """The person's goals, each with the items (contributions and votes) of its task done in
    the week starting `week_start` (a Monday)."""
    done = {
        row["task"]: row["done"]
        for row in conn.execute(
            _WEEK,
            {"me": contributor_id, "start": week_start, "end": week_start + timedelta(days=6)},
        ).fetchall()
    }
    return [
        {"task": row["task"], "target": row["target"], "done": done.get(row["task"], 0)}
        for row in conn.execute(_GOALS, (contributor_id,)).fetchall()
    ]


def check_goals(body: dict[str, Any]) -> dict[str, int | None]:
    """`body` as {task: target or None}; raises InvalidField (422, naming the field) for an
    unknown task or a target that is not a whole number from 1 to 10000."""
    goals: dict[str, int | None] = {}
    for task, target in body.items():
        if task not in TASKS:
            raise InvalidField(
                # Translators: {name} is the task name given, quoted.
                Text("There is no task called {name}.", name=repr(task[:20])),
                field=task,
            )
        if isinstance(target, float) and target.is_integer():
            target = int(target)  # JSON's 20.0 is the number 20
        if target is not None and (
            isinstance(target, bool)
            or not isinstance(target, int)
            or not GOAL_MIN <= target <= GOAL_MAX
        ):
            raise InvalidField(
                # Translators: {minimum} and {maximum} are numbers.
                Text(
                    "A weekly goal is a whole number from {minimum} to {maximum}, or null to"
                    " remove it.",
                    minimum=GOAL_MIN,
                    maximum=GOAL_MAX,
                ),
                field=task,
            )
        goals[task] = target
    return goals


_SET_GOAL = """
INSERT INTO weekly_goals (contributor_id, task, target) VALUES (%(me)s, %(task)s, %(target)s)
    ON CONFLICT (contributor_id, task) DO UPDATE SET target = EXCLUDED.target, updated_at = now()
"""
_REMOVE_GOAL = "DELETE FROM weekly_goals WHERE contributor_id = %(me)s AND task = %(task)s"


def set_goals(conn: Conn, contributor_id: uuid.UUID, goals: dict[str, int | None]) -> None:
    """Set (a number) or remove (None) the person's weekly goals, in one transaction; tasks not
    named are left as they are."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO contributors (id) VALUES (%s) ON CONFLICT (id) DO NOTHING",
            (contributor_id,),
        )
        for task, target in goals.items():
            params = {"me": contributor_id, "task": task, "target": target}
            conn.execute(_SET_GOAL if target is not None else _REMOVE_GOAL, params)
