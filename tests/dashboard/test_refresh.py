"""The refresh publishes exactly what the transactional tables say."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg

from tests.dashboard.conftest import published


def hours(ms: Any) -> float:
    return round(int(ms or 0) / 3_600_000, 3)


def test_every_published_number_matches_the_transactional_tables(
    app, db: psycopg.Connection, history, refresh
) -> None:
    refresh()
    files = published(app)

    # Per language, computed straight from contributions and validations.
    expected = {
        row["language_code"]: row
        for row in db.execute(
            """SELECT c.language_code, sum(c.duration_ms) AS ms, count(*) AS recordings,
                      sum(c.duration_ms) FILTER (WHERE c.status = 'accepted') AS ms_ok,
                      count(*) FILTER (WHERE c.status = 'accepted') AS accepted,
                      count(*) FILTER (WHERE c.status = 'rejected') AS rejected,
                      count(DISTINCT c.contributor_id) AS speakers,
                      (SELECT count(DISTINCT v.validator_id) FROM validations v
                         JOIN contributions c2 ON c2.id = v.contribution_id
                        WHERE c2.language_code = c.language_code) AS validators
                 FROM contributions c GROUP BY c.language_code"""
        )
    }
    summary = {lang["code"]: lang for lang in files["summary"]["languages"]}
    assert set(summary) == {r["code"] for r in db.execute("SELECT code FROM languages")}
    for code, row in expected.items():
        got = summary[code]
        assert got["hours_recorded"] == hours(row["ms"])
        assert got["hours_validated"] == hours(row["ms_ok"])
        assert (got["recordings"], got["accepted"], got["rejected"]) == (
            row["recordings"], row["accepted"], row["rejected"],
        )  # fmt: skip
        assert (got["speakers"], got["validators"]) == (row["speakers"], row["validators"])
        assert got["progress"] == round(hours(row["ms_ok"]) / got["goal_hours"], 4)
    assert summary["ta"]["recordings"] == 0

    overall = db.execute(
        """SELECT count(DISTINCT contributor_id) AS speakers, count(*) AS recordings,
                  sum(duration_ms) AS ms,
                  (SELECT count(DISTINCT validator_id) FROM validations) AS validators
             FROM contributions"""
    ).fetchone()
    totals = files["summary"]["totals"]
    assert (totals["speakers"], totals["validators"], totals["recordings"]) == (
        overall["speakers"], overall["validators"], overall["recordings"],
    )  # fmt: skip
    assert totals["hours_recorded"] == hours(overall["ms"]) and totals["languages"] == 2

    # Daily points and their running totals.
    days = db.execute(
        """SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
             FROM contributions WHERE language_code = 'hi' GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    series = files["timeseries"]["languages"]["hi"]
    by_date = {p["date"]: p for p in series}
    for day in days:
        assert by_date[day["day"].isoformat()]["recordings"] == day["n"]
    assert series[-1]["cumulative_hours_recorded"] == hours(expected["hi"]["ms"])
    assert series[-1]["cumulative_hours_validated"] == hours(expected["hi"]["ms_ok"])
    cumulative = [p["cumulative_hours_recorded"] for p in series]
    assert cumulative == sorted(cumulative)
    assert sum(p["recordings"] for p in files["timeseries"]["all"]) == overall["recordings"]

    # Demographics from the snapshots on the recordings; groups of fewer than 5 speakers
    # are folded into one entry (each speaker once).
    check_groups(
        db,
        files["demographics"]["languages"]["hi"]["by_region"],
        "SELECT region_code AS key, contributor_id, duration_ms FROM contributions"
        " WHERE language_code = 'hi'",
    )
    check_groups(
        db,
        files["demographics"]["all"]["by_gender"],
        "SELECT gender AS key, contributor_id, duration_ms FROM contributions",
    )
    labels = {r["key"]: r["label"] for r in files["demographics"]["all"]["by_age_group"]}
    assert labels == {"twenties": "20–29"}  # eight speakers in their twenties

    # Leaderboards: only people who opted in; hidden below five of them.
    hindi_board = files["leaderboard"]["languages"]["hi"]["speak"]["all"]
    english_board = files["leaderboard"]["languages"]["en"]["speak"]["all"]
    assert hindi_board["shown"] and {c["display_name"] for c in hindi_board["contributors"]} == {
        f"Speaker {i}" for i in range(6)
    }
    assert english_board == {"shown": False, "people": 5, "contributors": []}
    top = hindi_board["contributors"][0]
    mine = db.execute(
        """SELECT count(*) AS n FROM contributions c JOIN contributors p ON p.id = c.contributor_id
            WHERE p.display_name = %s AND c.language_code = 'hi'""",
        (top["display_name"],),
    ).fetchone()
    assert top["contributions"] == mine["n"]
    # Ranks are among everyone (the two unnamed validators voted more): gaps where they are.
    ranks = [c["rank"] for c in hindi_board["contributors"]]
    assert ranks == sorted(ranks) and ranks[0] == 3


def check_groups(db: psycopg.Connection, published: list[dict[str, Any]], query: str) -> None:
    """Groups of 5 or more speakers as they are; the smaller ones as one entry, or none."""
    from app.dashboard.documents import SMALL_GROUPS

    people: dict[Any, set[Any]] = defaultdict(set)
    ms: dict[Any, int] = defaultdict(int)
    for row in db.execute(query):
        people[row["key"]].add(row["contributor_id"])
        ms[row["key"]] += row["duration_ms"]
    by_key = {entry["key"]: entry for entry in published}
    small = [key for key in people if len(people[key]) < 5]
    for key in people:
        if key not in small:
            got = by_key.pop(key)
            assert (got["speakers"], got["hours_recorded"]) == (len(people[key]), hours(ms[key]))
    folded = set().union(*(people[key] for key in small))
    if len(folded) >= 5:
        got = by_key.pop(SMALL_GROUPS)
        assert got["groups"] == len(small) and got["speakers"] == len(folded)
        assert got["hours_recorded"] == hours(sum(ms[key] for key in small))
    assert by_key == {}  # nothing else, and no small group by name


def test_every_file_carries_the_version_of_its_manifest(app, history, refresh) -> None:
    result = refresh()
    files = published(app)

    assert files["manifest"]["version"] == result.version
    for name in ("summary", "timeseries", "demographics", "leaderboard"):
        assert files[name]["version"] == result.version


def test_a_refresh_is_recorded_with_the_time_of_each_step(db, history, refresh) -> None:
    result = refresh()

    row = db.execute("SELECT * FROM dashboard_refreshes").fetchone()
    assert row["status"] == "succeeded" and row["version"] == result.version
    names = [step["name"] for step in row["steps"]]
    assert names[:3] == ["erasures", "dashboard_speakers", "dashboard_validators"]
    assert names[-3:] == ["read views", "publish", "prune servings"]
    assert all(step["ms"] >= 0 for step in row["steps"])


def test_a_failed_step_is_recorded_and_leaves_the_published_set_alone(
    app, db, history, refresh
) -> None:
    import pytest

    from app.dashboard.refresh import RefreshFailed

    first = refresh()
    db.execute("DROP MATERIALIZED VIEW dashboard_ranks")

    with pytest.raises(RefreshFailed, match="dashboard_ranks"):
        refresh()

    assert published(app)["manifest"]["version"] == first.version
    failed = db.execute("SELECT * FROM dashboard_refreshes WHERE status = 'failed'").fetchone()
    assert "dashboard_ranks" in failed["error"]
