"""The schema guards the data itself: constraints hold whatever the code above does."""

from __future__ import annotations

import uuid

import psycopg
import pytest


def make_contributor(db: psycopg.Connection) -> uuid.UUID:
    contributor = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (contributor,))
    return contributor


def make_recording(db: psycopg.Connection, contributor: uuid.UUID) -> int:
    item = db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('hi', 'sentence', %s)"
        " RETURNING id",
        (f"वाक्य {uuid.uuid4()}",),
    ).fetchone()["id"]
    return db.execute(
        """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                                      idempotency_key, media_key)
           VALUES (%s, %s, %s, 'hi', 'recording', %s, 'recordings/hi/x.webm') RETURNING id""",
        (uuid.uuid4(), contributor, item, uuid.uuid4().hex),
    ).fetchone()["id"]


def test_the_scheduled_languages_and_english_are_there(db: psycopg.Connection) -> None:
    rows = db.execute("SELECT code, script, direction FROM languages").fetchall()
    codes = {r["code"] for r in rows}

    assert len(codes) == 23 and {"hi", "ta", "bn", "sat", "mni", "ur", "en"} <= codes
    assert {r["code"] for r in rows if r["direction"] == "rtl"} == {"ur", "ks", "sd"}
    assert db.execute("SELECT count(*) AS n FROM regions").fetchone()["n"] == 36


def test_a_validator_votes_once_per_contribution(db: psycopg.Connection) -> None:
    recording = make_recording(db, make_contributor(db))
    validator = make_contributor(db)
    # Not counted: a counted vote needs the recording's counts with it (migration 0009).
    vote = (
        "INSERT INTO validations (contribution_id, validator_id, verdict, counted)"
        " VALUES (%s, %s, %s, false)"
    )
    db.execute(vote, (recording, validator, "accept"))

    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute(vote, (recording, validator, "reject"))


def test_a_contributor_cannot_validate_their_own_recording(db: psycopg.Connection) -> None:
    speaker = make_contributor(db)
    recording = make_recording(db, speaker)

    with pytest.raises(psycopg.errors.CheckViolation, match="their own contribution"):
        db.execute(
            "INSERT INTO validations (contribution_id, validator_id, verdict)"
            " VALUES (%s, %s, 'accept')",
            (recording, speaker),
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE contributors SET gender = 'unknown'",
        "UPDATE contributors SET display_name = repeat('x', 31)",
        "UPDATE contributors SET region_code = 'XX'",
    ],
)
def test_profile_values_outside_the_lists_are_refused(
    db: psycopg.Connection, statement: str
) -> None:
    make_contributor(db)
    with pytest.raises((psycopg.errors.CheckViolation, psycopg.errors.ForeignKeyViolation)):
        db.execute(statement)


def test_the_same_sentence_is_stored_once_per_language(db: psycopg.Connection) -> None:
    insert = (
        "INSERT INTO dataset_rows (language_code, kind, text)"
        " VALUES (%s, 'sentence', 'Hello there.')"
    )
    db.execute(insert, ("en",))
    db.execute(insert, ("hi",))

    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute(insert, ("en",))


def test_a_retried_upload_cannot_create_a_second_row(db: psycopg.Connection) -> None:
    speaker = make_contributor(db)
    recording = make_recording(db, speaker)
    row = db.execute("SELECT * FROM contributions WHERE id = %s", (recording,)).fetchone()

    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute(
            """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                                          idempotency_key, media_key)
               VALUES (%s, %s, %s, 'hi', 'recording', %s, 'recordings/hi/y.webm')""",
            (uuid.uuid4(), speaker, row["item_id"] + 0, row["idempotency_key"]),
        )
