"""The published files agree with each other: closed languages are everywhere, every language
has a leaderboard entry (per task and period), and old versions are pruned."""

from __future__ import annotations

import psycopg

from app.dashboard.publish import KEEP_VERSIONS, PREFIX
from tests.dashboard.conftest import published


def test_a_closed_language_stays_in_the_summary_so_the_languages_add_up_to_the_totals(
    app, db: psycopg.Connection, history, refresh
) -> None:
    db.execute("UPDATE languages SET is_active = false WHERE code = 'hi'")
    refresh()
    files = published(app)
    summary = files["summary"]
    languages = {language["code"]: language for language in summary["languages"]}
    assert languages["hi"]["active"] is False and languages["en"]["active"] is True
    hindi = db.execute(
        "SELECT count(*) AS n FROM contributions WHERE language_code = 'hi'"
    ).fetchone()
    assert languages["hi"]["recordings"] == hindi["n"] > 0
    totals = summary["totals"]
    for field in ("recordings", "accepted", "rejected"):
        assert sum(language[field] for language in languages.values()) == totals[field]
    # Each figure is rounded to 3 places on its own: at most half a unit off per language.
    summed = sum(language["hours_recorded"] for language in languages.values())
    assert abs(summed - totals["hours_recorded"]) <= 0.0005 * len(languages) + 1e-9
    # ...and in every other file too.
    assert "hi" in files["timeseries"]["languages"]
    assert "hi" in files["demographics"]["languages"]
    assert "hi" in files["leaderboard"]["languages"]


def test_a_closed_language_without_recordings_is_left_out(
    app, db: psycopg.Connection, history, refresh
) -> None:
    db.execute("UPDATE languages SET is_active = false WHERE code = 'ta'")
    refresh()
    files = published(app)
    assert "ta" not in {language["code"] for language in files["summary"]["languages"]}
    assert "ta" not in files["leaderboard"]["languages"]


def test_every_language_has_a_board_shown_or_not(
    app, db: psycopg.Connection, history, refresh
) -> None:
    refresh()
    files = published(app)
    boards = files["leaderboard"]["languages"]
    codes = {language["code"] for language in files["summary"]["languages"]}
    assert set(boards) == codes
    nobody = {"shown": False, "people": 0, "contributors": []}
    every_task = ("speak", "transcribe", "translate", "label")
    # Tamil: active, nobody contributed: not shown, not left out.
    assert boards["ta"] == {task: {"week": nobody, "all": nobody} for task in every_task}
    # English: three opted-in people (of 3 speakers and 2 validators), fewer than the minimum.
    assert boards["en"]["speak"]["all"] == {"shown": False, "people": 5, "contributors": []}
    hindi = boards["hi"]["speak"]["all"]
    assert hindi["shown"] is True and hindi["contributors"]


def test_old_versions_are_pruned_keeping_the_newest(app, history, refresh) -> None:
    storage = app.extensions["crowdsource.storage"]
    results = [refresh() for _ in range(KEEP_VERSIONS + 2)]
    versions = {key.split("/")[3] for key in storage.list(f"{PREFIX}/v/")}
    assert versions == {result.version for result in results[-KEEP_VERSIONS:]}
    assert published(app)["manifest"]["version"] == results[-1].version
