"""The public dashboard documents, read from the materialized views (see docs/dashboard.md)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.contributors.service import AGE_GROUPS, GENDERS
from app.db import Conn
from app.stats.agreement import ALL_LANGUAGES, NO_VOTES, Agreement

LEADERBOARD_SIZE = 10
LEADERBOARD_MINIMUM_PEOPLE = 5
NOT_GIVEN = "Not given"


def hours(ms: Any) -> float:
    """Milliseconds as decimal hours, rounded to 3 places."""
    return round(int(ms or 0) / 3_600_000, 3)


def build_documents(
    conn: Conn, agreement: dict[str, Agreement] | None = None
) -> dict[str, dict[str, Any]]:
    """Every published document by name, read from the views in one snapshot; `agreement`
    (app.stats.agreement.agreement_by_language) goes into the summary."""
    summary = _summary(conn, agreement or {})
    return {
        "summary": summary,
        "timeseries": _timeseries(conn),
        "demographics": _demographics(conn),
        "leaderboard": _leaderboard(conn, [language["code"] for language in summary["languages"]]),
        "tasks": _tasks(conn),
    }


# Every language with activity, closed ones included (so the per-language figures add up to
# the totals, which count every recording), plus every active language (zeros where nothing
# was recorded). Read from the level-1 views, not dashboard_language_totals, which holds
# active languages only.
_LANGUAGE_TOTALS = """
SELECT l.code AS language_code, l.name, l.native_name, l.direction, l.goal_hours, l.is_active,
       coalesce(s.ms_recorded, 0)  AS ms_recorded,
       coalesce(s.ms_validated, 0) AS ms_validated,
       coalesce(s.recordings, 0)   AS recordings,
       coalesce(s.accepted, 0)     AS accepted,
       coalesce(s.rejected, 0)     AS rejected,
       coalesce(s.speakers, 0)     AS speakers,
       coalesce(v.validators, 0)   AS validators
  FROM languages l
  LEFT JOIN (SELECT language_code, sum(ms_recorded) AS ms_recorded,
                    sum(ms_validated) AS ms_validated, sum(recordings) AS recordings,
                    sum(accepted) AS accepted, sum(rejected) AS rejected,
                    count(DISTINCT contributor_id) AS speakers
               FROM dashboard_speakers GROUP BY language_code) s ON s.language_code = l.code
  LEFT JOIN (SELECT language_code, count(*) AS validators
               FROM dashboard_validators GROUP BY language_code) v ON v.language_code = l.code
 WHERE l.is_active OR s.language_code IS NOT NULL OR v.language_code IS NOT NULL
 ORDER BY coalesce(s.ms_recorded, 0) DESC, l.name
"""


def _summary(conn: Conn, agreement: dict[str, Agreement]) -> dict[str, Any]:
    overall = conn.execute("SELECT * FROM dashboard_overall").fetchone() or {}
    languages = []
    for row in conn.execute(_LANGUAGE_TOTALS).fetchall():
        validated = hours(row["ms_validated"])
        goal = row["goal_hours"]
        languages.append(
            {
                "code": row["language_code"],
                "name": row["name"],
                "native_name": row["native_name"],
                "direction": row["direction"],
                "active": bool(row["is_active"]),
                "hours_recorded": hours(row["ms_recorded"]),
                "hours_validated": validated,
                "recordings": int(row["recordings"]),
                "accepted": int(row["accepted"]),
                "rejected": int(row["rejected"]),
                "speakers": int(row["speakers"]),
                "validators": int(row["validators"]),
                "goal_hours": goal,
                "progress": round(validated / goal, 4) if goal else None,
                "agreement": agreement.get(row["language_code"], NO_VOTES).as_json(),
            }
        )
    totals = {
        "hours_recorded": hours(overall.get("ms_recorded")),
        "hours_validated": hours(overall.get("ms_validated")),
        **{
            name: int(overall.get(name) or 0)
            for name in (
                "recordings",
                "accepted",
                "rejected",
                "speakers",
                "validators",
                "languages",
            )
        },
        "agreement": agreement.get(ALL_LANGUAGES, NO_VOTES).as_json(),
    }
    return {"totals": totals, "languages": languages}


def _timeseries(conn: Conn) -> dict[str, Any]:
    rows = conn.execute("SELECT * FROM dashboard_daily ORDER BY language_code, day").fetchall()
    per_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        per_language[row["language_code"]].append(row)
    everything: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        day = everything[row["day"]]
        for field in ("recordings", "ms_recorded", "accepted", "ms_validated"):
            day[field] += int(row[field])
    return {
        "languages": {code: _series(points) for code, points in per_language.items()},
        "all": _series([{"day": day, **values} for day, values in sorted(everything.items())]),
    }


def _series(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Daily points with running totals (which can only grow)."""
    series, recorded, validated = [], 0, 0
    for point in points:
        recorded += int(point["ms_recorded"])
        validated += int(point["ms_validated"])
        series.append(
            {
                "date": point["day"].isoformat(),
                "hours_recorded": hours(point["ms_recorded"]),
                "hours_validated": hours(point["ms_validated"]),
                "recordings": int(point["recordings"]),
                "accepted": int(point["accepted"]),
                "cumulative_hours_recorded": hours(recorded),
                "cumulative_hours_validated": hours(validated),
            }
        )
    return series


_DIMENSIONS = {"region": "by_region", "age_group": "by_age_group", "gender": "by_gender"}


def _demographics(conn: Conn) -> dict[str, Any]:
    regions = {r["code"]: r["name"] for r in conn.execute("SELECT code, name FROM regions")}
    labels = {"region": regions, "age_group": AGE_GROUPS, "gender": GENDERS}
    rows = conn.execute(
        "SELECT * FROM dashboard_demographics"
        " ORDER BY language_code, dimension, ms_recorded DESC, key"
    ).fetchall()
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {name: [] for name in _DIMENSIONS.values()}
    )
    for row in rows:
        key = row["key"] or None
        grouped[row["language_code"]][_DIMENSIONS[row["dimension"]]].append(
            {
                "key": key,
                "label": labels[row["dimension"]].get(key, key) if key else NOT_GIVEN,
                "speakers": int(row["speakers"]),
                "hours_recorded": hours(row["ms_recorded"]),
            }
        )
    everything = grouped.pop("*", {name: [] for name in _DIMENSIONS.values()})
    return {"languages": dict(grouped), "all": everything}


def _leaderboard(conn: Conn, languages: list[str]) -> dict[str, Any]:
    """Boards of every language in the summary: `shown: false` with an empty list where fewer
    than LEADERBOARD_MINIMUM_PEOPLE named people contributed, none at all included."""
    rows = conn.execute(
        "SELECT * FROM dashboard_leaderboard WHERE rank <= %s ORDER BY language_code, rank",
        (LEADERBOARD_SIZE,),
    ).fetchall()
    boards: dict[str, dict[str, Any]] = {}
    for row in rows:
        board = boards.setdefault(
            row["language_code"],
            {"shown": row["people"] >= LEADERBOARD_MINIMUM_PEOPLE, "contributors": []},
        )
        if board["shown"]:
            board["contributors"].append(
                {
                    "rank": int(row["rank"]),
                    "display_name": row["display_name"],
                    "recordings": int(row["recordings"]),
                    "hours_recorded": hours(row["ms_recorded"]),
                    "accepted": int(row["accepted"]),
                    "validations": int(row["validations"]),
                }
            )
    for code in languages:  # languages where nobody named contributed have no rows
        boards.setdefault(code, {"shown": False, "contributors": []})
    return {"minimum_people": LEADERBOARD_MINIMUM_PEOPLE, "languages": boards}


# The original platform's goals per language, where the language's task row names none:
# hours of audio for transcribe, items for the others (language_tasks.goal overrides).
DEFAULT_GOAL_MS = {"transcribe": 5 * 3_600_000}
DEFAULT_GOAL_ITEMS = 5_000

_TASKS = """
SELECT t.language_code, t.task, t.source_language_code, l.name, l.native_name, l.direction,
       t.items, t.items_contributed, t.items_validated, t.contributions, t.accepted,
       t.rejected, t.pending, t.corrections, t.ms_contributed, t.ms_validated,
       lt.goal, coalesce(lt.is_open AND l.is_active, false) AS is_open
  FROM dashboard_tasks t
  JOIN languages l ON l.code = t.language_code
  LEFT JOIN language_tasks lt ON lt.language_code = t.language_code AND lt.task = t.task
 ORDER BY t.task, t.language_code, t.source_language_code
"""


def _tasks(conn: Conn) -> dict[str, Any]:
    """transcribe, translate and label per language (translate: per language pair): items,
    answers and their verdicts, corrections, and progress toward the goal, in hours of audio
    validated (transcribe, each clip once) or items validated (the others)."""
    rows = []
    for row in conn.execute(_TASKS).fetchall():
        in_hours = row["task"] in DEFAULT_GOAL_MS
        if in_hours:
            goal = {
                "unit": "hours",
                "target": hours(row["goal"] or DEFAULT_GOAL_MS[row["task"]]),
                "done": hours(row["ms_validated"]),
            }
        else:
            goal = {
                "unit": "items",
                "target": int(row["goal"] or DEFAULT_GOAL_ITEMS),
                "done": int(row["items_validated"]),
            }
        rows.append(
            {
                "task": row["task"],
                "language": row["language_code"],
                "source_language": row["source_language_code"] or None,
                "name": row["name"],
                "native_name": row["native_name"],
                "direction": row["direction"],
                "open": row["is_open"],
                **{
                    key: int(row[key])
                    for key in (
                        "items",
                        "items_contributed",
                        "items_validated",
                        "contributions",
                        "accepted",
                        "rejected",
                        "pending",
                        "corrections",
                    )
                },
                "hours_contributed": hours(row["ms_contributed"]) if in_hours else None,
                "hours_validated": hours(row["ms_validated"]) if in_hours else None,
                "goal": goal,
            }
        )
    return {"tasks": rows}
