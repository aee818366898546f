"""The public dashboard documents, read from the materialized views (see docs/dashboard.md)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.contributors.service import AGE_GROUPS, GENDERS
from app.dashboard.leaderboards import build_leaderboard
from app.db import Conn
from app.stats.agreement import ALL_LANGUAGES, NO_VOTES, Agreement

# Demographic groups of fewer people than this are not published on their own (issue #20).
MINIMUM_SPEAKERS = 5
SMALL_GROUPS = "small_groups"
SMALL_GROUPS_LABEL = "Groups of fewer than 5 speakers each"
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
        "leaderboard": build_leaderboard(
            conn, [language["code"] for language in summary["languages"]]
        ),
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


# Per language (and '*' for all) and dimension: the groups of fewer than MINIMUM_SPEAKERS
# speakers taken together, each person once, however many of those groups they are in.
_SMALL_GROUPS = """
WITH snapshots AS (
    SELECT s.language_code, d.dimension,
           CASE d.dimension WHEN 'region' THEN s.region_code
                            WHEN 'age_group' THEN s.age_group ELSE s.gender END AS key,
           s.contributor_id, s.ms_recorded
      FROM dashboard_speakers s
     CROSS JOIN (VALUES ('region'), ('age_group'), ('gender')) AS d (dimension)
), scoped AS (
    SELECT language_code, dimension, key, contributor_id, ms_recorded FROM snapshots
    UNION ALL
    SELECT '*', dimension, key, contributor_id, ms_recorded FROM snapshots
)
SELECT s.language_code, s.dimension, count(DISTINCT s.key) AS groups,
       count(DISTINCT s.contributor_id) AS speakers, sum(s.ms_recorded) AS ms_recorded
  FROM scoped s
  JOIN dashboard_demographics d
    ON d.language_code = s.language_code AND d.dimension = s.dimension AND d.key = s.key
 WHERE d.speakers < %(minimum)s
 GROUP BY s.language_code, s.dimension
"""


def _demographics(conn: Conn) -> dict[str, Any]:
    """Speakers and hours per region, age group and gender. A group of fewer than
    MINIMUM_SPEAKERS speakers is never published on its own, so nobody can be singled out:
    such groups are folded into one entry (key SMALL_GROUPS), itself left out when it holds
    fewer than MINIMUM_SPEAKERS people."""
    regions = {r["code"]: r["name"] for r in conn.execute("SELECT code, name FROM regions")}
    labels = {"region": regions, "age_group": AGE_GROUPS, "gender": GENDERS}
    rows = conn.execute(
        "SELECT * FROM dashboard_demographics WHERE speakers >= %s"
        " ORDER BY language_code, dimension, ms_recorded DESC, key",
        (MINIMUM_SPEAKERS,),
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
    for row in conn.execute(_SMALL_GROUPS, {"minimum": MINIMUM_SPEAKERS}).fetchall():
        # (read even when left out: every language with recordings has its entry)
        entries = grouped[row["language_code"]][_DIMENSIONS[row["dimension"]]]
        if row["speakers"] >= MINIMUM_SPEAKERS:
            entries.append(
                {
                    "key": SMALL_GROUPS,
                    "label": SMALL_GROUPS_LABEL,
                    "groups": int(row["groups"]),
                    "speakers": int(row["speakers"]),
                    "hours_recorded": hours(row["ms_recorded"]),
                }
            )
    everything = grouped.pop("*", {name: [] for name in _DIMENSIONS.values()})
    return {
        "minimum_speakers": MINIMUM_SPEAKERS,
        "languages": dict(grouped),
        "all": everything,
    }


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
