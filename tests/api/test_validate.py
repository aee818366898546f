"""Validate through the API: the queue, votes and the verdict rule, skips, reports, audio."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from app import create_app
from tests.api.conftest import (
    clip,
    count_rows,
    error_of,
    give_track_record,
    new_person,
    record,
)

VERDICT_SEQUENCE = ["accept", "reject", "accept", "reject", "accept"]


def clip_ids(client, language: str = "hi", count: int = 20) -> list[str]:
    response = client.get(f"/api/v1/languages/{language}/clips?count={count}")
    assert response.status_code == 200
    return [c["id"] for c in response.get_json()["clips"]]


def vote(client, recording: str, verdict: str):
    return client.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": verdict})


@pytest.mark.parametrize(
    ("accepts", "rejects", "status"),
    [
        (0, 0, "pending"), (1, 0, "pending"), (2, 0, "accepted"), (2, 1, "accepted"),
        (2, 2, "pending"), (3, 3, "pending"), (0, 2, "rejected"), (1, 2, "rejected"),
        (3, 2, "accepted"), (2, 3, "rejected"),
    ],
)  # fmt: skip
def test_the_verdict_rule(db, accepts: int, rejects: int, status: str) -> None:
    """The rule lives in the database (contribution_verdict, migration 0009): a vote and a
    recount both call it."""
    row = db.execute(
        "SELECT contribution_verdict(%s, %s, 2) AS status", (accepts, rejects)
    ).fetchone()
    assert row["status"] == status


def test_votes_move_a_recording_through_a_tie_to_a_verdict(person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    recording = record(person(), item)
    voters = [person() for _ in range(5)]

    statuses = []
    for voter, verdict in zip(voters, VERDICT_SEQUENCE, strict=True):
        body = vote(voter, recording, verdict).get_json()
        assert body.pop("achievements") == [  # a first vote: a one-day streak, for anyone
            {"kind": "streak", "level": None, "threshold": 1, "language": None,
             "language_name": None, "task": None, "category": None}
        ]  # fmt: skip
        assert body == {
            "vote": {"recording": recording, "verdict": verdict}
        }  # nothing of the counts: a hidden check must look like any other clip
        statuses.append(db.execute("SELECT status FROM contributions").fetchone()["status"])

    assert statuses == ["pending", "pending", "accepted", "pending", "accepted"]
    row = db.execute(
        "SELECT accept_count, reject_count, status, decided_at FROM contributions"
    ).fetchone()
    assert (row["accept_count"], row["reject_count"], row["status"]) == (3, 2, "accepted")
    assert row["decided_at"] is not None


def test_nobody_validates_their_own_recording(person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    speaker = person()
    recording = record(speaker, item)

    assert clip_ids(speaker) == []
    assert error_of(vote(speaker, recording, "accept")) == (403, "own_recording")
    assert count_rows(db, "validations") == 0


def test_a_vote_counts_once_and_cannot_be_changed(person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    recording = record(person(), item)
    validator = person()

    assert vote(validator, recording, "accept").status_code == 201
    assert vote(validator, recording, "accept").status_code == 200
    assert error_of(vote(validator, recording, "reject")) == (409, "already_voted")
    assert db.execute("SELECT accept_count, reject_count FROM contributions").fetchone() == {
        "accept_count": 1, "reject_count": 0,
    }  # fmt: skip
    assert recording not in clip_ids(validator)


def test_the_queue_skips_what_you_voted_on_or_skipped_and_shows_closest_first(
    person, add_sentences
) -> None:
    items = add_sentences(3)
    speaker = person()
    recordings = [
        record(speaker, item, name)
        for item, name in zip(items, ["hi_1.wav", "hi_2.wav", "hi_3.wav"], strict=True)
    ]
    vote(person(), recordings[2], "accept")  # one vote: closest to a decision
    validator = person()

    assert clip_ids(validator) == [recordings[2], recordings[0], recordings[1]]
    assert validator.post(f"/api/v1/recordings/{recordings[2]}/skip").status_code == 200
    assert validator.post(f"/api/v1/recordings/{recordings[2]}/skip").status_code == 200
    vote(validator, recordings[0], "reject")
    assert clip_ids(validator) == [recordings[1]]


def test_a_queue_says_whether_it_was_handed_to_a_session(app, person, add_sentences) -> None:
    """The page asks for the queue first; only an answer without a session makes it ask for
    one (validate-common.js), so the common case is one round trip."""
    (item,) = add_sentences(1)
    recording = record(person(), item, "hi_1.wav")
    stranger = new_person(app, session=False)
    first = stranger.get("/api/v1/languages/hi/clips")
    assert first.status_code == 200
    assert first.get_json()["session"] is False
    assert vote(stranger, recording, "accept").status_code in (401, 403)  # no session: refused
    assert stranger.post("/api/v1/session").status_code == 201
    again = stranger.get("/api/v1/languages/hi/clips").get_json()
    assert again["session"] is True and [c["id"] for c in again["clips"]] == [recording]


def test_a_long_backlog_never_shows_as_empty(person, add_sentences) -> None:
    items = add_sentences(30)
    speakers = [person() for _ in range(3)]  # one person's uploads are rate-limited
    for i, item in enumerate(items):
        record(speakers[i % 3], item, "hi_4.wav")
    validator = person()

    seen: list[str] = []
    while batch := clip_ids(validator, count=7):
        for recording in batch:
            vote(validator, recording, "accept")
        seen += batch

    assert len(seen) == len(set(seen)) == 30


def test_fifty_concurrent_voters_leave_exact_counts_and_one_verdict(
    person, add_sentences, db
) -> None:
    (item,) = add_sentences(1)
    recording = record(person(), item)
    voters = [
        (person(), "accept" if i % 5 else "reject") for i in range(50)
    ]  # 40 accept, 10 reject
    results: list[int] = []
    start = threading.Barrier(50)

    def cast(client, verdict: str) -> None:
        start.wait()
        results.append(vote(client, recording, verdict).status_code)

    threads = [threading.Thread(target=cast, args=pair) for pair in voters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(results) == [201] * 50
    row = db.execute("SELECT accept_count, reject_count, status FROM contributions").fetchone()
    assert (row["accept_count"], row["reject_count"], row["status"]) == (40, 10, "accepted")
    assert count_rows(db, "validations") == 50


def test_something_reported_by_three_people_leaves_the_queues(person, add_sentences, db) -> None:
    items = add_sentences(2)
    recording = record(person(), items[0])
    reporters = [person() for _ in range(3)]
    give_track_record(db, *reporters)
    for i, reporter in enumerate(reporters):
        body = {"target": "recording", "id": recording, "reason": "poor_audio"}
        assert reporter.post("/api/v1/reports", json=body).status_code == 201
        assert reporter.post("/api/v1/reports", json=body).status_code == 200  # once per person
        assert (recording in clip_ids(person())) == (i < 2)
        sentence = {"target": "sentence", "id": items[1], "reason": "offensive"}
        assert reporter.post("/api/v1/reports", json=sentence).status_code == 201

    fresh = person().get("/api/v1/languages/hi/sentences?count=20").get_json()["sentences"]
    assert items[1] not in [s["id"] for s in fresh]
    assert count_rows(db, "reports") == 6


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"target": "recording", "reason": "offensive"}, (400, "missing_field")),
        ({"target": "song", "id": 1, "reason": "offensive"}, (422, "invalid_field")),
        ({"target": "sentence", "id": 1, "reason": "boring"}, (422, "invalid_field")),
        ({"target": "sentence", "id": "abc", "reason": "offensive"}, (404, "unknown_item")),
        ({"target": "sentence", "id": 99999, "reason": "offensive"}, (404, "unknown_item")),
        (
            {"target": "recording", "id": "not-a-uuid", "reason": "offensive"},
            (404, "unknown_recording"),
        ),
        ({"target": "sentence", "id": "ITEM", "reason": "other"}, (422, "note_required")),
        (
            {"target": "sentence", "id": "ITEM", "reason": "other", "note": "x" * 501},
            (422, "invalid_field"),
        ),
        (
            {"target": "sentence", "id": "ITEM", "reason": "other", "note": 5},
            (422, "invalid_field"),
        ),
    ],
)
def test_bad_reports_are_refused_and_write_nothing(
    person, add_sentences, db, body, expected
) -> None:
    (item,) = add_sentences(1)
    body = {k: (item if v == "ITEM" else v) for k, v in body.items()}
    assert error_of(person().post("/api/v1/reports", json=body)) == expected
    assert count_rows(db, "reports") == 0


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"data": "verdict=accept", "content_type": "application/x-www-form-urlencoded"},
            (400, "not_json"),
        ),
        ({"data": "{not json", "content_type": "application/json"}, (400, "invalid_json")),
        ({"json": ["accept"]}, (400, "invalid_json")),
        ({"json": {}}, (400, "missing_field")),
        ({"json": {"verdict": "maybe"}}, (422, "invalid_field")),
        ({"json": {"verdict": True}}, (422, "invalid_field")),
    ],
)
def test_bad_votes_are_refused_and_write_nothing(
    person, add_sentences, db, payload, expected
) -> None:
    (item,) = add_sentences(1)
    recording = record(person(), item)
    response = person().post(f"/api/v1/recordings/{recording}/votes", **payload)
    assert error_of(response) == expected
    assert count_rows(db, "validations") == 0


def test_votes_on_unknown_recordings_are_404(person) -> None:
    for recording in ("00000000-0000-0000-0000-000000000000", "nonsense"):
        assert error_of(vote(person(), recording, "accept")) == (404, "unknown_recording")
        assert error_of(person().post(f"/api/v1/recordings/{recording}/skip"))[0] == 404


def test_clip_audio_is_served_through_a_signed_link_that_expires(
    app, person, add_sentences
) -> None:
    (item,) = add_sentences(1)
    record(person(), item, "hi_1.webm")
    validator = person()
    (clip_json,) = validator.get("/api/v1/languages/hi/clips").get_json()["clips"]

    audio = validator.get(clip_json["audio_url"])

    assert audio.status_code == 200
    assert audio.data == clip("hi_1.webm")
    assert audio.headers["Content-Type"] == "audio/webm"
    tampered = clip_json["audio_url"].replace("token=", "token=x")
    assert error_of(validator.get(tampered)) == (403, "link_expired")
    unsigned = clip_json["audio_url"].split("?")[0]
    assert error_of(validator.get(unsigned)) == (403, "link_expired")


def test_an_audio_link_stops_working_after_its_time(settings, database_url, add_sentences) -> None:
    app = create_app(replace(settings, audio_url_ttl_seconds=1), database_url=database_url)
    (item,) = add_sentences(1)
    record(new_person(app), item)
    validator = new_person(app)
    (clip_json,) = validator.get("/api/v1/languages/hi/clips").get_json()["clips"]

    time.sleep(2.1)

    assert error_of(validator.get(clip_json["audio_url"])) == (403, "link_expired")
    app.extensions["crowdsource.db"].close()
