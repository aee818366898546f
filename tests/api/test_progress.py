"""Badges, streaks, milestones and weekly goals through HTTP (issue #20): awarded at the write
that crosses them (every threshold crossed, each once, never by a read), counted per language
× task × category, in the person's days; goals set, checked and measured. Each test asserts
the rows stored."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from app import create_app
from app.progress import service
from app.settings import Settings
from app.tasks import LABEL, TRANSCRIBE
from tests.api.conftest import clip, count_rows, error_of, new_person, silence, upload
from tests.api.known_answers import seed_known_answers
from tests.api.test_tasks import HINDI, add_items, answer, open_task, queue, vote

KOLKATA = {"X-Time-Zone": "Asia/Kolkata"}


def seed_count(db: psycopg.Connection, who: Any, n: int, *, task: str = "transcribe",
               category: str = "contribute", language: str = "hi") -> None:  # fmt: skip
    """History from before the badges (as migration 0016 counts it): no achievements."""
    db.execute(
        "INSERT INTO contributors (id) VALUES (%s) ON CONFLICT DO NOTHING", (who.contributor_id(),)
    )
    db.execute(
        "INSERT INTO progress_counts (contributor_id, language_code, task, category, count)"
        " VALUES (%s, %s, %s, %s, %s)",
        (who.contributor_id(), language, task, category, n),
    )


def held(db: psycopg.Connection, who: Any) -> list[tuple]:
    rows = db.execute(
        "SELECT kind, language_code, task, category, threshold FROM achievements"
        " WHERE contributor_id = %s ORDER BY kind, threshold",
        (who.contributor_id(),),
    ).fetchall()
    return [tuple(r.values()) for r in rows]


def counts(db: psycopg.Connection, who: Any) -> dict[tuple, int]:
    rows = db.execute(
        "SELECT task, category, count FROM progress_counts WHERE contributor_id = %s",
        (who.contributor_id(),),
    ).fetchall()
    return {(r["task"], r["category"]): r["count"] for r in rows}


def badge(threshold: int, level: str, task: str = "transcribe", category: str = "contribute",
          language: str = "hi") -> dict:  # fmt: skip
    return {"kind": "badge", "level": level, "threshold": threshold, "language": language,
            "language_name": "Hindi", "task": task, "category": category}  # fmt: skip


def milestone(kind: str, threshold: int) -> dict:
    return {"kind": kind, "level": None, "threshold": threshold, "language": None,
            "language_name": None, "task": None, "category": None}  # fmt: skip


@pytest.fixture
def transcribe_items(db: psycopg.Connection) -> Any:
    open_task(db, TRANSCRIBE, cap=5, votes_to_decide=1)
    return lambda n: add_items(db, "audio", n)


# ---- badges -------------------------------------------------------------------------------


def test_the_first_contribution_starts_a_streak_and_counts(person, db, transcribe_items) -> None:
    me = person()
    (item,) = transcribe_items(1)

    response = answer(me, "transcribe", item, HINDI)

    assert response.status_code == 201
    assert response.get_json()["achievements"] == [milestone("streak", 1)]
    assert counts(db, me) == {("transcribe", "contribute"): 1}
    assert held(db, me) == [("streak", None, None, None, 1)]


@pytest.mark.parametrize(
    ("before", "already", "earned"),
    [(4, [], [5]), (49, [], [5, 50]), (199, [5, 50], [200]), (599, [5, 50, 200], [600])],
)
def test_each_badge_threshold_is_awarded_at_the_write_that_reaches_it(
    person, db, transcribe_items, before: int, already: list, earned: list
) -> None:
    me = person()
    seed_count(db, me, before)
    for threshold in already:
        db.execute(
            "INSERT INTO achievements (contributor_id, kind, language_code, task, category,"
            " threshold) VALUES (%s, 'badge', 'hi', 'transcribe', 'contribute', %s)",
            (me.contributor_id(), threshold),
        )
    (item,) = transcribe_items(1)

    body = answer(me, "transcribe", item, HINDI).get_json()

    badges = [a for a in body["achievements"] if a["kind"] == "badge"]
    assert badges == [badge(t, service.BADGE_LEVELS[t]) for t in earned]
    assert counts(db, me) == {("transcribe", "contribute"): before + 1}
    assert [h[4] for h in held(db, me) if h[0] == "badge"] == already + earned
    items = [a["threshold"] for a in body["achievements"] if a["kind"] == "items"]
    assert items == [t for t in service.ITEMS_MILESTONES if t <= before + 1]


def test_the_fiftieth_awards_bronze_and_silver_at_once(person, db, transcribe_items) -> None:
    me = person()
    seed_count(db, me, 49)
    (item,) = transcribe_items(1)

    body = answer(me, "transcribe", item, HINDI).get_json()

    assert body["achievements"] == [
        badge(5, "bronze"), badge(50, "silver"),
        milestone("items", 5), milestone("items", 20), milestone("items", 50),
        milestone("streak", 1),
    ]  # fmt: skip
    assert len(held(db, me)) == 6


def test_a_get_never_awards(person, db) -> None:
    me = person()
    seed_count(db, me, 49)

    response = me.get("/api/v1/me/progress")

    assert response.status_code == 200
    assert count_rows(db, "achievements") == 0
    (line,) = response.get_json()["badges"]
    assert (line["count"], line["held"], line["next"]) == (
        49, [], {"level": "bronze", "threshold": 5},
    )  # fmt: skip


def test_a_vote_counts_toward_validate_not_contribute(person, db, transcribe_items) -> None:
    author, checker = person(), person()
    items = transcribe_items(2)
    for item in items:
        assert answer(author, "transcribe", item, HINDI).status_code == 201
    seed_count(db, checker, 4, category="validate")
    first, _ = queue(checker, "transcribe")

    body = vote(checker, first["id"], "accept").get_json()

    assert body["achievements"][0] == badge(5, "bronze", category="validate")
    assert counts(db, checker) == {("transcribe", "validate"): 5}
    assert counts(db, author) == {("transcribe", "contribute"): 2}
    assert [h for h in held(db, checker) if h[0] == "badge"] == [
        ("badge", "hi", "transcribe", "validate", 5)
    ]


def test_badges_are_per_task(person, db, transcribe_items) -> None:
    me = person()
    seed_count(db, me, 4, task="label")
    (item,) = transcribe_items(1)

    body = answer(me, "transcribe", item, HINDI).get_json()

    assert [a for a in body["achievements"] if a["kind"] == "badge"] == []
    assert counts(db, me) == {("label", "contribute"): 4, ("transcribe", "contribute"): 1}


def test_a_correction_counts_as_a_contribution_and_a_vote(person, db) -> None:
    open_task(db, LABEL, votes_to_decide=1)
    (item,) = add_items(db, "image", 1)
    author, corrector = person(), person()
    assert answer(author, "label", item, "गलत शब्द").status_code == 201
    (original,) = queue(corrector, "label")

    response = vote(corrector, original["id"], "change", text="सही शब्द")

    assert response.status_code == 201
    assert counts(db, corrector) == {("label", "contribute"): 1, ("label", "validate"): 1}
    assert response.get_json()["achievements"] == [milestone("streak", 1)]
    day = db.execute(
        "SELECT contributed, validated FROM daily_activity WHERE contributor_id = %s",
        (corrector.contributor_id(),),
    ).fetchone()
    assert (day["contributed"], day["validated"]) == (1, 1)


def test_a_retry_awards_and_counts_nothing(person, db, transcribe_items) -> None:
    me = person()
    seed_count(db, me, 4)
    (item,) = transcribe_items(1)
    body = {"item_id": item, "idempotency_key": uuid.uuid4().hex, "text": HINDI}
    first = me.post("/api/v1/tasks/transcribe/contributions", json=body)

    again = me.post("/api/v1/tasks/transcribe/contributions", json=body)

    assert first.status_code == 201 and first.get_json()["achievements"]
    assert again.status_code == 200 and again.get_json()["achievements"] == []
    assert counts(db, me) == {("transcribe", "contribute"): 5}
    assert len(held(db, me)) == 3  # bronze, 5 items, 1 day


def test_a_repeated_vote_awards_nothing(person, db, transcribe_items) -> None:
    author, checker = person(), person()
    (item,) = transcribe_items(1)
    assert answer(author, "transcribe", item, HINDI).status_code == 201
    (target,) = queue(checker, "transcribe")
    assert vote(checker, target["id"], "accept").status_code == 201

    again = vote(checker, target["id"], "accept")

    assert again.status_code == 200 and again.get_json()["achievements"] == []
    assert counts(db, checker) == {("transcribe", "validate"): 1}


def test_concurrent_writes_of_one_person_award_each_badge_once(app, person, db) -> None:
    open_task(db, TRANSCRIBE, cap=5)
    items = add_items(db, "audio", 12)
    me = person()
    results: list[Any] = []

    def write(item: int) -> None:
        results.append(answer(me, "transcribe", item, HINDI))

    threads = [threading.Thread(target=write, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in results] == [201] * 12
    awarded = [a for r in results for a in r.get_json()["achievements"]]
    assert sorted((a["kind"], a["threshold"]) for a in awarded) == [
        ("badge", 5), ("items", 5), ("streak", 1),
    ]  # fmt: skip
    assert counts(db, me) == {("transcribe", "contribute"): 12}
    assert len(held(db, me)) == 3


def test_a_refused_upload_counts_nothing(person, db, add_sentences) -> None:
    me = person()
    (item,) = add_sentences(1)

    response = upload(me, item, silence())

    assert response.status_code in (415, 422)
    assert count_rows(db, "upload_refusals") == 1
    assert count_rows(db, "progress_counts") == 0
    assert count_rows(db, "achievements") == 0
    assert count_rows(db, "daily_activity") == 0


def test_the_fifth_recording_earns_the_speak_bronze(person, db, add_sentences) -> None:
    me = person()
    seed_count(db, me, 4, task="speak")
    (item,) = add_sentences(1)

    response = upload(me, item, clip("hi_1.wav"))

    assert response.status_code == 201
    assert response.get_json()["achievements"][0] == badge(5, "bronze", task="speak")
    assert counts(db, me) == {("speak", "contribute"): 5}


# ---- streaks and time zones ---------------------------------------------------------------


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(service, "utc_now", lambda: moment)


def days_of(db: psycopg.Connection, who: Any) -> list[date]:
    rows = db.execute(
        "SELECT day FROM daily_activity WHERE contributor_id = %s ORDER BY day",
        (who.contributor_id(),),
    ).fetchall()
    return [r["day"] for r in rows]


def test_days_are_the_persons_local_days(person, db, transcribe_items, monkeypatch) -> None:
    india, london = person(), person()
    items = transcribe_items(4)
    # 18:00 UTC is 23:30 in Kolkata; 18:45 UTC is 00:15 the next day there.
    at(monkeypatch, datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    assert answer(india, "transcribe", items[0], HINDI).status_code == 201  # no zone yet: UTC
    india.post("/api/v1/tasks/transcribe/contributions", json={
        "item_id": items[1], "idempotency_key": uuid.uuid4().hex, "text": HINDI,
    }, headers=KOLKATA)  # fmt: skip
    assert answer(london, "transcribe", items[0], HINDI).status_code == 201
    at(monkeypatch, datetime(2026, 12, 7, 18, 45, tzinfo=UTC))

    # the zone is remembered: no header this time
    late = answer(india, "transcribe", items[2], HINDI).get_json()
    same_day = answer(london, "transcribe", items[2], HINDI).get_json()

    assert days_of(db, india) == [date(2026, 12, 7), date(2026, 12, 8)]
    assert days_of(db, london) == [date(2026, 12, 7)]
    assert milestone("streak", 1) not in late["achievements"]  # held since the first
    assert (
        db.execute(
            "SELECT time_zone FROM contributors WHERE id = %s", (india.contributor_id(),)
        ).fetchone()["time_zone"]
        == "Asia/Kolkata"
    )
    assert india.get("/api/v1/me/progress").get_json()["streak"] == {
        "current": 2, "best": 2, "today": True, "next": 3,
    }  # fmt: skip
    assert same_day["achievements"] == []
    assert london.get("/api/v1/me/progress").get_json()["streak"]["current"] == 1


def add_days(db: psycopg.Connection, who: Any, *days: date) -> None:
    db.execute(
        "INSERT INTO contributors (id) VALUES (%s) ON CONFLICT DO NOTHING", (who.contributor_id(),)
    )
    for day in days:
        db.execute(
            "INSERT INTO daily_activity (contributor_id, day, task, contributed)"
            " VALUES (%s, %s, 'speak', 1)",
            (who.contributor_id(), day),
        )


def test_three_days_in_a_row_award_the_three_day_streak(
    person, db, transcribe_items, monkeypatch
) -> None:
    me = person()
    at(monkeypatch, datetime(2026, 12, 9, 12, 0, tzinfo=UTC))
    add_days(db, me, date(2026, 12, 7), date(2026, 12, 8))
    (item,) = transcribe_items(1)

    body = answer(me, "transcribe", item, HINDI).get_json()

    assert [a for a in body["achievements"] if a["kind"] == "streak"] == [
        milestone("streak", 1), milestone("streak", 3),
    ]  # fmt: skip


def test_a_missed_day_resets_the_streak(person, db, transcribe_items, monkeypatch) -> None:
    me = person()
    today = date(2026, 12, 10)
    at(monkeypatch, datetime(2026, 12, 10, 12, 0, tzinfo=UTC))
    add_days(db, me, today - timedelta(days=4), today - timedelta(days=3),
             today - timedelta(days=2))  # fmt: skip
    alive = me.get("/api/v1/me/progress").get_json()["streak"]
    (item,) = transcribe_items(1)

    body = answer(me, "transcribe", item, HINDI).get_json()

    assert alive == {"current": 0, "best": 3, "today": False, "next": 1}
    assert [a for a in body["achievements"] if a["kind"] == "streak"] == [milestone("streak", 1)]
    assert me.get("/api/v1/me/progress").get_json()["streak"] == {
        "current": 1, "best": 3, "today": True, "next": 3,
    }  # fmt: skip


def test_yesterday_keeps_the_streak_alive_until_today_counts(person, db, monkeypatch) -> None:
    me = person()
    at(monkeypatch, datetime(2026, 12, 10, 12, 0, tzinfo=UTC))
    add_days(db, me, date(2026, 12, 8), date(2026, 12, 9))

    streak = me.get("/api/v1/me/progress").get_json()["streak"]

    assert streak == {"current": 2, "best": 2, "today": False, "next": 3}


@pytest.mark.parametrize(
    "zone", ["../../etc/passwd", "Not/AZone", "A" * 200, "localtime", "", "Asia/Kolkata\n"]
)
def test_a_bad_time_zone_is_ignored(person, db, transcribe_items, monkeypatch, zone) -> None:
    me = person()
    at(monkeypatch, datetime(2026, 12, 7, 18, 45, tzinfo=UTC))
    (item,) = transcribe_items(1)
    body = {"item_id": item, "idempotency_key": uuid.uuid4().hex, "text": HINDI}

    response = me.post("/api/v1/tasks/transcribe/contributions", json=body,
                       environ_overrides={"HTTP_X_TIME_ZONE": zone})  # fmt: skip

    assert response.status_code == 201
    assert days_of(db, me) == [date(2026, 12, 7)]  # UTC's day
    assert (
        db.execute(
            "SELECT time_zone FROM contributors WHERE id = %s", (me.contributor_id(),)
        ).fetchone()["time_zone"]
        is None
    )
    shown = me.get("/api/v1/me/progress", environ_overrides={"HTTP_X_TIME_ZONE": zone})
    assert shown.status_code == 200 and shown.get_json()["time_zone"] == "UTC"


# ---- weekly goals -------------------------------------------------------------------------


def test_goals_are_set_measured_and_removed(person, db, transcribe_items, monkeypatch) -> None:
    me = person()
    at(monkeypatch, datetime(2026, 12, 9, 12, 0, tzinfo=UTC))  # a Wednesday
    add_days(db, me, date(2026, 12, 6), date(2026, 12, 7))  # last Sunday, this Monday
    (item,) = transcribe_items(1)
    assert answer(me, "transcribe", item, HINDI).status_code == 201

    response = me.put("/api/v1/me/goals", json={"speak": 20, "transcribe": 3, "label": None})

    assert response.status_code == 200
    body = response.get_json()
    assert body["goals"] == [
        {"task": "speak", "target": 20, "done": 1}, {"task": "transcribe", "target": 3, "done": 1},
    ]  # fmt: skip
    assert body["week"] == {"start": "2026-12-07", "end": "2026-12-13"}
    assert me.put("/api/v1/me/goals", json={"label": 7.0}).get_json()["goals"][0]["target"] == 7
    removed = me.put("/api/v1/me/goals", json={"speak": None, "label": None}).get_json()
    assert removed["goals"] == [{"task": "transcribe", "target": 3, "done": 1}]
    assert count_rows(db, "weekly_goals") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"dance": 3}, "dance"), ({"speak": 0}, "speak"), ({"speak": 10001}, "speak"),
     ({"speak": "20"}, "speak"), ({"speak": True}, "speak"), ({"speak": 2.5}, "speak"),
     ({"transcribe": 5, "speak": -1}, "speak")],
)  # fmt: skip
def test_a_bad_goal_is_refused_and_nothing_is_stored(person, db, body, field) -> None:
    me = person()

    response = me.put("/api/v1/me/goals", json=body)

    assert error_of(response) == (422, "invalid_field")
    assert response.get_json()["error"]["field"] == field
    assert count_rows(db, "weekly_goals") == 0


def test_without_a_session_progress_is_empty_and_goals_need_one(app, db) -> None:
    stranger = new_person(app, session=False)

    empty = stranger.get("/api/v1/me/progress")
    refused = stranger.put("/api/v1/me/goals", json={"speak": 5})

    assert empty.status_code == 200
    body = empty.get_json()
    assert (body["badges"], body["milestones"], body["goals"]) == ([], [], [])
    assert body["streak"]["current"] == 0 and body["items"]["total"] == 0
    assert error_of(refused) == (401, "no_session")
    assert count_rows(db, "weekly_goals") == 0


# ---- practice votes -----------------------------------------------------------------------


def test_practice_votes_count_toward_validate(settings, database_url, db) -> None:
    """Votes on known answers (a newcomer's practice) are votes cast: they count and earn."""
    trusting = replace(settings, warmup_clips=Settings().warmup_clips,
                       known_answer_percent=Settings().known_answer_percent)  # fmt: skip
    app = create_app(trusting, database_url=database_url)
    app.config["TESTING"] = True
    try:
        answers = seed_known_answers(db)
        validator = new_person(app)
        practice = validator.get("/api/v1/languages/hi/clips?count=5").get_json()["clips"]
        assert practice and all(c.get("practice") for c in practice)

        told = [
            validator.post(f"/api/v1/recordings/{c['id']}/votes",
                           json={"verdict": answers[c["id"]]}).get_json()
            for c in practice
        ]  # fmt: skip

        assert all("practice" in t for t in told)
        assert counts(db, validator) == {("speak", "validate"): len(practice)}
        earned = [a for t in told for a in t["achievements"] if a["kind"] == "badge"]
        assert earned == ([badge(5, "bronze", task="speak", category="validate")]
                          if len(practice) >= 5 else [])  # fmt: skip
    finally:
        app.extensions["crowdsource.db"].close()
