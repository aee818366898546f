"""Trust through the API, with the shipped thresholds: sessions before writes, listening before
voting, warm-up and probation on known answers, distrust that takes verdicts back, reports
that hide nothing without a track record."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from flask import Flask

from app import create_app
from app.settings import Settings
from tests.api.conftest import (
    Person,
    clip,
    count_rows,
    error_of,
    give_track_record,
    new_person,
    record,
    upload,
)
from tests.api.known_answers import seed_known_answers


@pytest.fixture
def app(settings: Settings, database_url: str) -> Iterator[Flask]:
    """The app with the shipped trust settings (tests/conftest.py turns them off elsewhere)."""
    defaults = Settings()
    trusting = replace(
        settings,
        warmup_clips=defaults.warmup_clips,
        known_answer_percent=defaults.known_answer_percent,
    )
    app = create_app(trusting, database_url=database_url)
    app.config["TESTING"] = True
    yield app
    app.extensions["crowdsource.db"].close()


def standing_of(db: psycopg.Connection, someone: Person, language: str = "hi") -> dict[str, Any]:
    return db.execute(
        "SELECT * FROM validator_standing WHERE validator_id = %s AND language_code = %s",
        (someone.contributor_id(), language),
    ).fetchone()


def in_good_standing(db: psycopg.Connection, *people: Person) -> None:
    """These validators count in Hindi from the start (past warm-up and probation)."""
    for someone in people:
        db.execute(
            "INSERT INTO validator_standing (validator_id, language_code, state)"
            " VALUES (%s, 'hi', 'counting')",
            (someone.contributor_id(),),
        )


def clips(someone: Person, count: int = 5) -> list[dict[str, Any]]:
    response = someone.get(f"/api/v1/languages/hi/clips?count={count}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["clips"]


def vote(someone: Person, recording: str, verdict: str, **kwargs: Any) -> Any:
    return someone.post(
        f"/api/v1/recordings/{recording}/votes", json={"verdict": verdict}, **kwargs
    )


def status_of(db: psycopg.Connection, recording: str) -> str:
    return db.execute(
        "SELECT status FROM contributions WHERE public_id = %s", (recording,)
    ).fetchone()["status"]


def flip(answer: str) -> str:
    return "reject" if answer == "accept" else "accept"


# ---- sessions --------------------------------------------------------------------------------


def test_writes_without_a_session_are_401_and_write_nothing(app, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    recording = record(new_person(app), item)
    before = {t: count_rows(db, t) for t in ("contributors", "contributions", "validations",
                                              "reports", "skips")}  # fmt: skip
    cookieless = new_person(app, session=False)

    writes = [
        upload(cookieless, item, clip("hi_2.wav")),
        cookieless.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": "accept"}),
        cookieless.post(f"/api/v1/recordings/{recording}/skip"),
        cookieless.post(f"/api/v1/sentences/{item}/skip"),
        cookieless.post(
            "/api/v1/reports", json={"target": "recording", "id": recording, "reason": "poor_audio"}
        ),
        cookieless.put("/api/v1/me/profile", json={"display_name": "Asha"}),
    ]

    assert [error_of(r) for r in writes] == [(401, "no_session")] * len(writes)
    assert {t: count_rows(db, t) for t in before} == before


def test_a_session_comes_from_a_page_view_or_the_session_endpoint(app, db) -> None:
    browser = new_person(app, session=False)
    assert browser.get("/speak/hi").status_code == 200
    assert browser.contributor_id() is not None
    assert browser.post("/api/v1/session").status_code == 200  # has one already
    script = new_person(app, session=False)
    assert script.post("/api/v1/session").status_code == 201
    assert count_rows(db, "contributors") == 2


# ---- listening -------------------------------------------------------------------------------


def test_a_vote_sooner_than_the_clip_could_be_heard_is_422(app, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    recording = record(new_person(app), item)
    validator = new_person(app)

    never_served = vote(validator, recording, "accept", listened=False)
    assert [c["id"] for c in clips(validator)] == [recording]
    too_soon = vote(validator, recording, "accept", listened=False)

    assert error_of(never_served) == (422, "not_listened")
    assert error_of(too_soon) == (422, "not_listened")
    assert count_rows(db, "validations") == 0
    # once most of the clip's duration has passed since it was handed out, the vote counts
    db.execute(
        "UPDATE clip_servings SET served_at = served_at - make_interval(secs => c.duration_ms"
        " * 0.8 / 1000.0) FROM contributions c WHERE c.id = clip_servings.contribution_id"
    )
    assert vote(validator, recording, "accept", listened=False).status_code == 201
    assert count_rows(db, "validations") == 1


# ---- warm-up and probation -------------------------------------------------------------------


def test_a_new_validator_practises_then_is_on_probation_then_counts(app, add_sentences, db) -> None:
    answers = seed_known_answers(db)
    items = add_sentences(2)
    pending = [record(new_person(app), item) for item in items]
    validator = new_person(app)

    practice = clips(validator)
    assert len(practice) == 5 and all(c.get("practice") for c in practice)
    assert all(c["id"] in answers for c in practice)
    told = [vote(validator, c["id"], answers[c["id"]]).get_json() for c in practice]
    assert [t["practice"] for t in told] == [
        {"expected": answers[c["id"]], "agreed": True} for c in practice
    ]
    assert standing_of(db, validator)["state"] == "probation"

    # On probation: votes are kept but wait; hidden checks look like any other clip.
    other = new_person(app)
    in_good_standing(db, other)
    for recording in pending:
        assert vote(validator, recording, "accept").status_code == 201
        assert vote(other, recording, "accept").status_code == 201
    assert [status_of(db, r) for r in pending] == ["pending", "pending"]
    checks = [r for r in answers if r not in {c["id"] for c in practice}]
    for recording in checks[:10]:
        served = clips(validator, count=1)
        assert set(served[0]) == {"id", "sentence", "duration_ms", "audio_url"} if served else True
        body = vote(validator, recording, answers[recording]).get_json()
        body.pop("achievements")  # every vote cast counts toward badges, checks too
        assert body == {"vote": {"recording": recording, "verdict": answers[recording]}}
    mine = standing_of(db, validator)
    assert (mine["state"], mine["checks_answered"], mine["checks_agreed"]) == ("counting", 10, 10)
    # Counting now: the waiting votes count and the verdicts they make are made.
    assert [status_of(db, r) for r in pending] == ["accepted", "accepted"]


def test_a_validator_who_fails_the_warm_up_never_counts(app, add_sentences, db) -> None:
    answers = seed_known_answers(db)
    validator = new_person(app)
    for c in clips(validator):
        vote(validator, c["id"], flip(answers[c["id"]]))

    assert standing_of(db, validator)["state"] == "distrusted"
    (item,) = add_sentences(1)
    recording = record(new_person(app), item)
    vote(validator, recording, "accept")
    assert db.execute("SELECT counted FROM validations v JOIN contributions c"
                      " ON c.id = v.contribution_id WHERE c.public_id = %s",
                      (recording,)).fetchone()["counted"] is False  # fmt: skip


def test_a_distrusted_validators_votes_stop_counting_and_verdicts_change_back(
    app, add_sentences, db
) -> None:
    answers = seed_known_answers(db)
    items = add_sentences(2)
    recordings = [record(new_person(app), item) for item in items]
    validator, honest = new_person(app), new_person(app)
    in_good_standing(db, validator, honest)
    for recording in recordings:
        vote(validator, recording, "accept")
        vote(honest, recording, "accept")
    assert [status_of(db, r) for r in recordings] == ["accepted", "accepted"]

    checks = list(answers)[:5]
    for recording in checks:  # five known answers, all wrong
        assert vote(validator, recording, flip(answers[recording])).status_code == 201

    assert standing_of(db, validator)["state"] == "distrusted"
    assert [status_of(db, r) for r in recordings] == ["pending", "pending"]
    rows = db.execute(
        "SELECT v.counted, c.accept_count FROM validations v JOIN contributions c"
        " ON c.id = v.contribution_id WHERE v.validator_id = %s AND v.role = 'vote'",
        (validator.contributor_id(),),
    ).fetchall()
    assert [(r["counted"], r["accept_count"]) for r in rows] == [(False, 1), (False, 1)]
    # the honest validator's votes still count
    assert db.execute(
        "SELECT bool_and(counted) AS ok FROM validations WHERE validator_id = %s",
        (honest.contributor_id(),),
    ).fetchone()["ok"]


def test_warm_up_is_skipped_while_a_language_has_too_few_known_answers(
    app, add_sentences, db
) -> None:
    (item,) = add_sentences(1)
    recording = record(new_person(app), item)
    validator = new_person(app)

    assert [c["id"] for c in clips(validator)] == [recording]
    assert standing_of(db, validator)["state"] == "counting"
    assert "too few known answers" in standing_of(db, validator)["reason"]


def test_a_clear_majority_makes_a_known_answer(app, add_sentences, db) -> None:
    items = add_sentences(2)
    clear, split = (record(new_person(app), item) for item in items)
    for verdict in ("accept", "accept"):
        vote(new_person(app), clear, verdict)
    for verdict in ("accept", "reject", "accept", "accept"):
        vote(new_person(app), split, verdict)

    rows = {
        r["id"]: (r["status"], r["known_answer"])
        for r in db.execute(
            "SELECT public_id::text AS id, status, known_answer FROM contributions"
        ).fetchall()
    }
    assert rows == {clear: ("accepted", "accept"), split: ("accepted", None)}


# ---- reports ---------------------------------------------------------------------------------


def test_reports_without_a_track_record_hide_nothing(app, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    recording = record(new_person(app), item)
    body = {"target": "recording", "id": recording, "reason": "poor_audio"}

    for _ in range(5):
        assert new_person(app).post("/api/v1/reports", json=body).status_code == 201

    assert [c["id"] for c in clips(new_person(app))] == [recording]
    assert db.execute("SELECT report_count FROM contributions").fetchone()["report_count"] == 0
    assert count_rows(db, "reports") == 5
    known = [new_person(app) for _ in range(3)]
    give_track_record(db, *known)
    for reporter in known:
        reporter.post("/api/v1/reports", json=body)
    assert clips(new_person(app)) == []


# ---- rules at the write ----------------------------------------------------------------------


def test_twenty_concurrent_uploads_for_the_last_slot_store_exactly_one(
    app, add_sentences, db
) -> None:
    import threading

    (item,) = add_sentences(1)
    db.execute("UPDATE dataset_rows SET contribution_count = 2 WHERE id = %s", (item,))  # cap 3
    speakers = [new_person(app) for _ in range(20)]
    audio = clip("hi_1.wav")
    results: list[int] = []
    start = threading.Barrier(20)

    def go(speaker: Person) -> None:
        start.wait()
        results.append(upload(speaker, item, audio).status_code)

    threads = [threading.Thread(target=go, args=(s,)) for s in speakers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert sorted(results) == [201] + [409] * 19
    assert count_rows(db, "contributions") == 1
    assert (
        db.execute("SELECT contribution_count FROM dataset_rows").fetchone()["contribution_count"]
        == 3
    )
    stored = list(app.extensions["crowdsource.storage"].list("recordings/"))
    assert len(stored) == 1


def test_a_closed_language_refuses_uploads_and_votes(app, add_sentences, db) -> None:
    items = add_sentences(2)
    recording = record(new_person(app), items[0])
    db.execute("UPDATE languages SET is_active = false WHERE code = 'hi'")

    assert error_of(upload(new_person(app), items[1], clip("hi_2.wav"))) == (
        409, "language_closed"
    )  # fmt: skip
    assert error_of(vote(new_person(app), recording, "accept")) == (409, "language_closed")
    assert count_rows(db, "contributions") == 1 and count_rows(db, "validations") == 0


def test_retired_sentences_and_removed_recordings_refuse_contributions(
    app, add_sentences, db
) -> None:
    items = add_sentences(3)
    retired_recording = record(new_person(app), items[0])
    removed = record(new_person(app), items[1])
    db.execute("UPDATE dataset_rows SET is_active = false WHERE id = ANY(%s)", (items[::2],))
    db.execute(
        "UPDATE contributions SET status = 'removed', decided_at = now() WHERE public_id = %s",
        (removed,),
    )

    assert error_of(upload(new_person(app), items[2], clip("hi_2.wav"))) == (404, "unknown_item")
    assert error_of(vote(new_person(app), retired_recording, "accept")) == (409, "item_retired")
    assert error_of(vote(new_person(app), removed, "accept")) == (409, "recording_removed")
    assert count_rows(db, "validations") == 0


def test_an_idempotency_key_reused_for_another_sentence_is_409(app, add_sentences, db) -> None:
    items = add_sentences(2)
    speaker = new_person(app)
    assert upload(speaker, items[0], clip("hi_1.wav"), key="same-key-123").status_code == 201
    assert upload(speaker, items[0], clip("hi_1.wav"), key="same-key-123").status_code == 200

    again = upload(speaker, items[1], clip("hi_2.wav"), key="same-key-123")

    assert error_of(again) == (409, "idempotency_conflict")
    assert count_rows(db, "contributions") == 1


def test_servings_older_than_a_week_are_forgotten_by_the_refresh(
    app, add_sentences, db, database_url
) -> None:
    from app.dashboard.refresh import refresh_dashboard

    items = add_sentences(2)
    recordings = [record(new_person(app), item) for item in items]
    validator = new_person(app)
    assert len(clips(validator)) == 2
    db.execute(
        "UPDATE clip_servings SET served_at = now() - interval '8 days'"
        " WHERE contribution_id = (SELECT id FROM contributions WHERE public_id = %s)",
        (recordings[0],),
    )

    result = refresh_dashboard(database_url, app.extensions["crowdsource.dashboard_storage"])

    assert result is not None
    assert "prune servings" in [step["name"] for step in result.steps]
    assert count_rows(db, "clip_servings") == 1


def test_a_vote_does_not_override_an_operators_known_answer(app, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    recording = record(new_person(app), item)
    validators = [new_person(app) for _ in range(2)]
    for validator in validators:  # handed the clip while it was pending
        assert [c["id"] for c in clips(validator)] == [recording]
    db.execute(
        "UPDATE clip_servings SET served_at = now() - interval '1 hour'"
    )  # they listened; then an operator marks it
    db.execute(
        "UPDATE contributions SET known_answer = 'reject', known_answer_source = 'operator',"
        " status = 'rejected', decided_at = now() WHERE public_id = %s",
        (recording,),
    )

    for validator in validators:
        assert vote(validator, recording, "accept", listened=False).status_code == 201

    row = db.execute("SELECT status, accept_count FROM contributions").fetchone()
    assert (row["status"], row["accept_count"]) == ("rejected", 2)


def test_skipping_a_hidden_check_counts_as_disagreeing(app, add_sentences, db) -> None:
    answers = seed_known_answers(db)
    validator = new_person(app)
    in_good_standing(db, validator)
    rows = db.execute(
        "SELECT id, public_id::text AS id_text FROM contributions"
        " WHERE public_id = ANY(%s::uuid[])",
        (list(answers),),
    ).fetchall()
    check = next(r for r in rows if r["id"] % 2 == 1)  # the checks' pool
    practice = next(r for r in rows if r["id"] % 2 == 0)
    for row in (check, practice):  # handed out after they were decided
        db.execute(
            "INSERT INTO clip_servings (contributor_id, contribution_id) VALUES (%s, %s)",
            (validator.contributor_id(), row["id"]),
        )

    for row in (check, practice):
        assert validator.post(f"/api/v1/recordings/{row['id_text']}/skip").status_code == 200

    mine = standing_of(db, validator)
    assert (mine["checks_answered"], mine["checks_agreed"]) == (1, 0)


def test_a_distrust_racing_other_votes_leaves_counts_that_match_the_counted_votes(
    app, add_sentences, db
) -> None:
    import threading

    answers = seed_known_answers(db)
    items = add_sentences(8)
    recordings = [record(new_person(app), item) for item in items]
    doomed = new_person(app)
    others = [new_person(app) for _ in range(8)]
    in_good_standing(db, doomed, *others)
    for recording in recordings:
        vote(doomed, recording, "accept")
    results: list[int] = []
    start = threading.Barrier(1 + len(others))

    def fail_checks() -> None:
        start.wait()
        for recording in list(answers)[:5]:
            results.append(vote(doomed, recording, flip(answers[recording])).status_code)

    def vote_all(someone: Person) -> None:
        start.wait()
        for recording in recordings:
            results.append(vote(someone, recording, "accept").status_code)

    threads = [threading.Thread(target=fail_checks)]
    threads += [threading.Thread(target=vote_all, args=(o,)) for o in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert results == [201] * len(results) and len(results) == 5 + 8 * len(recordings)
    assert standing_of(db, doomed)["state"] == "distrusted"
    mismatched = db.execute(
        """SELECT c.public_id, c.accept_count, c.reject_count, c.known_answer_source,
                  (SELECT count(*) FROM validations v WHERE v.contribution_id = c.id
                      AND v.counted AND v.verdict = 'accept') AS counted_accepts
             FROM contributions c
            WHERE c.accept_count <> (SELECT count(*) FROM validations v WHERE v.contribution_id
                                      = c.id AND v.counted AND v.verdict = 'accept')
               OR c.reject_count <> (SELECT count(*) FROM validations v WHERE v.contribution_id
                                      = c.id AND v.counted AND v.verdict = 'reject')"""
    ).fetchall()
    assert mismatched == []
    assert {status_of(db, r) for r in recordings} == {"accepted"}
    assert (
        db.execute(
            "SELECT count(*) AS n FROM validations WHERE validator_id = %s AND role = 'vote'"
            " AND counted",
            (doomed.contributor_id(),),
        ).fetchone()["n"]
        == 0
    )
