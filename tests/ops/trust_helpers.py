"""What the tests of the operator's trust commands (reports, known-answers, validators) share:
sentences, reports, the queues as a new visitor sees them, rows to assert on."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from flask import Flask

from tests.api.conftest import give_track_record, new_person


def add_sentences(db: psycopg.Connection, n: int, language: str = "hi") -> list[int]:
    """`n` new sentences in `language`; returns their ids."""
    return [
        db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text) VALUES (%s, 'sentence', %s)"
            " RETURNING id",
            (language, f"वाक्य {i} {uuid.uuid4().hex[:6]}"),
        ).fetchone()["id"]
        for i in range(n)
    ]


def report(app: Flask, db: psycopg.Connection, target: str, target_id: Any, *, trusted: bool,
           reason: str = "poor_audio", note: str | None = None) -> None:  # fmt: skip
    """One report through the API by a new person, with a track record (the report counts
    toward hiding) or without (it does not)."""
    reporter = new_person(app)
    if trusted:
        give_track_record(db, reporter)
    body = {"target": target, "id": target_id, "reason": reason}
    if note is not None:
        body["note"] = note
    response = reporter.post("/api/v1/reports", json=body)
    assert response.status_code == 201, response.get_json()


def served_clips(app: Flask) -> list[str]:
    """The clips a new validator is handed in Hindi (warm-up and checks are off in tests)."""
    response = new_person(app).get("/api/v1/languages/hi/clips?count=20")
    assert response.status_code == 200, response.get_json()
    return [clip["id"] for clip in response.get_json()["clips"]]


def served_sentences(app: Flask) -> list[int]:
    """The sentences a new speaker is handed in Hindi."""
    response = new_person(app).get("/api/v1/languages/hi/sentences?count=20")
    assert response.status_code == 200, response.get_json()
    return [sentence["id"] for sentence in response.get_json()["sentences"]]


def recording_row(db: psycopg.Connection, recording: str) -> dict[str, Any]:
    """The recording's row: id, status, decided_at, counts, known answer."""
    return db.execute(
        "SELECT id, status, decided_at, report_count, accept_count, reject_count, known_answer,"
        "       known_answer_source FROM contributions WHERE public_id = %s",
        (recording,),
    ).fetchone()


def vote(voter: Any, recording: str, verdict: str) -> Any:
    """A vote by `voter` (a tests.api.conftest.Person: the clip counts as heard)."""
    return voter.post(f"/api/v1/recordings/{recording}/votes", json={"verdict": verdict})
