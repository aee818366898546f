"""Migration 0007: the schema refuses what the code never writes (each finding of issue #16
reproduced as a refused row) and every foreign key has an index. Erasing a contributor is
tested in tests/test_erase_contributor.py.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from app.db.migrations import Migrator


def person(db: psycopg.Connection) -> uuid.UUID:
    contributor = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (contributor,))
    return contributor


def sentence(db: psycopg.Connection, language: str = "hi") -> int:
    return db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES (%s, 'sentence', %s)"
        " RETURNING id",
        (language, f"वाक्य {uuid.uuid4()}"),
    ).fetchone()["id"]


def recording(db: psycopg.Connection, speaker: uuid.UUID, item: int, **columns: object) -> int:
    """A pending Hindi recording of `item`, with `columns` set on it."""
    public_id = uuid.uuid4()
    row = db.execute(
        """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                                      idempotency_key, media_key)
           VALUES (%s, %s, %s, 'hi', 'recording', %s, %s) RETURNING id""",
        (public_id, speaker, item, public_id.hex, f"recordings/hi/{public_id}.webm"),
    ).fetchone()
    db.execute("UPDATE dataset_rows SET contribution_count = contribution_count + 1 WHERE id = %s",
               (item,))  # fmt: skip
    for column, value in columns.items():
        db.execute(f"UPDATE contributions SET {column} = %s WHERE id = %s", (value, row["id"]))
    return int(row["id"])


def vote(db: psycopg.Connection, contribution: int, validator: uuid.UUID, verdict: str) -> None:
    db.execute(
        "INSERT INTO validations (contribution_id, validator_id, verdict) VALUES (%s, %s, %s)",
        (contribution, validator, verdict),
    )


# --- each new constraint refuses its bad row ---------------------------------------------


def test_a_contribution_in_another_language_than_its_sentence_is_refused(
    db: psycopg.Connection,
) -> None:
    speaker, item = person(db), sentence(db, "hi")
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="item_language"):
        db.execute(
            """INSERT INTO contributions (public_id, contributor_id, item_id, language_code,
                                          kind, idempotency_key, media_key)
               VALUES (%s, %s, %s, 'ta', 'recording', 'key-12345678', 'recordings/x.webm')""",
            (uuid.uuid4(), speaker, item),
        )
    made = recording(db, speaker, item)
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="item_language"):
        db.execute("UPDATE contributions SET language_code = 'ta' WHERE id = %s", (made,))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        db.execute("UPDATE dataset_rows SET language_code = 'ta' WHERE id = %s", (item,))


def test_an_upload_refusal_in_another_language_than_its_sentence_is_refused(
    db: psycopg.Connection,
) -> None:
    speaker, item = person(db), sentence(db, "hi")
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="item_language"):
        db.execute(
            """INSERT INTO upload_refusals (contributor_id, item_id, language_code,
                                            idempotency_key, reason_code, message)
               VALUES (%s, %s, 'ta', 'key-12345678', 'too_short', 'Too short.')""",
            (speaker, item),
        )


@pytest.mark.parametrize(
    ("column", "value"),
    [("age_group", "banana"), ("gender", "unknown"), ("mother_tongue", ""),
     ("mother_tongue", "x" * 61), ("device", "toaster"), ("browser", "Mozilla/5.0")],
)  # fmt: skip
def test_demographics_outside_the_profile_lists_are_refused(
    db: psycopg.Connection, column: str, value: str
) -> None:
    made = recording(db, person(db), sentence(db))
    refused = f"contributions_{column}_(check|known)"
    with pytest.raises(psycopg.errors.CheckViolation, match=refused):
        db.execute(f"UPDATE contributions SET {column} = %s WHERE id = %s", (value, made))


def test_the_profile_values_are_accepted_on_a_contribution(db: psycopg.Connection) -> None:
    made = recording(db, person(db), sentence(db), age_group="nineties", gender="transgender",
                     mother_tongue="मैथिली", region_code="BR", device="mobile",
                     browser="samsung")  # fmt: skip
    row = db.execute("SELECT age_group, gender FROM contributions WHERE id = %s", (made,))
    assert row.fetchone() == {"age_group": "nineties", "gender": "transgender"}


def test_a_pending_recording_cannot_be_a_known_answer(db: psycopg.Connection) -> None:
    made = recording(db, person(db), sentence(db))
    for answer in ("accept", "reject"):
        with pytest.raises(psycopg.errors.CheckViolation, match="disagrees with status pending"):
            db.execute(
                "UPDATE contributions SET known_answer = %s, known_answer_source = 'operator'"
                " WHERE id = %s",
                (answer, made),
            )


def test_a_known_answer_disagreeing_with_the_status_is_refused(db: psycopg.Connection) -> None:
    made = recording(db, person(db), sentence(db))
    with pytest.raises(psycopg.errors.CheckViolation, match="accept disagrees with status rej"):
        db.execute(
            "UPDATE contributions SET status = 'rejected', decided_at = now(),"
            " known_answer = 'accept', known_answer_source = 'operator' WHERE id = %s",
            (made,),
        )
    # A removed recording keeps the known answer it had (restore gives the verdict back).
    db.execute(
        "UPDATE contributions SET status = 'removed', decided_at = now(),"
        " known_answer = 'accept', known_answer_source = 'operator' WHERE id = %s",
        (made,),
    )


def test_the_known_answer_is_checked_when_the_transaction_commits(
    database_url: str, db: psycopg.Connection
) -> None:
    made = recording(db, person(db), sentence(db))
    db.execute("UPDATE contributions SET status = 'removed', decided_at = now(),"
               " known_answer = 'accept', known_answer_source = 'operator' WHERE id = %s",
               (made,))  # fmt: skip
    with psycopg.connect(database_url) as conn:
        # What a restore does: pending first, then the verdict back, in one transaction.
        conn.execute("UPDATE contributions SET status = 'pending', decided_at = NULL")
        conn.execute("UPDATE contributions SET status = 'accepted', decided_at = now()")
        conn.commit()
        conn.execute("UPDATE contributions SET status = 'pending', decided_at = NULL")
        with pytest.raises(psycopg.errors.CheckViolation) as refused:
            conn.commit()
    assert refused.value.diag.constraint_name == "contributions_known_answer_is_status"
    assert db.execute("SELECT status FROM contributions").fetchone()["status"] == "accepted"


def test_accepted_by_a_majority_with_no_votes_for_it_is_refused(db: psycopg.Connection) -> None:
    # The finding: 'accepted' with 50 accepts and no votes. A majority's known answer needs
    # accepts and no rejects in the counts; the counts themselves are not checked against the
    # vote rows (see the migration's header for why).
    made = recording(db, person(db), sentence(db))
    with pytest.raises(psycopg.errors.CheckViolation, match="majority_without_dissent"):
        db.execute(
            "UPDATE contributions SET status = 'accepted', decided_at = now(), accept_count = 0,"
            " known_answer = 'accept', known_answer_source = 'majority' WHERE id = %s",
            (made,),
        )
    with pytest.raises(psycopg.errors.CheckViolation, match="majority_without_dissent"):
        db.execute(
            "UPDATE contributions SET status = 'accepted', decided_at = now(), accept_count = 50,"
            " reject_count = 1, known_answer = 'accept', known_answer_source = 'majority'"
            " WHERE id = %s",
            (made,),
        )


def test_a_language_without_a_goal_is_refused(db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.NotNullViolation):
        db.execute("UPDATE languages SET goal_hours = NULL WHERE code = 'hi'")


# --- every foreign key has an index leading with its first column ------------------------

# An index serves a foreign key when its first column is the key's first column and it holds
# every row the key can match: no predicate, or only "<that column> IS NOT NULL".
_UNINDEXED_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS tab, c.conname,
       a.attname AS first_column
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
   AND NOT EXISTS (
       SELECT 1 FROM pg_index i
        WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
          AND (i.indpred IS NULL
               OR pg_get_expr(i.indpred, i.indrelid) = '(' || quote_ident(a.attname)
                                                       || ' IS NOT NULL)'))
 ORDER BY 1, 2
"""


def test_every_foreign_key_has_an_index(db: psycopg.Connection) -> None:
    assert db.execute(_UNINDEXED_FOREIGN_KEYS).fetchall() == []


def test_the_catalog_query_finds_a_foreign_key_without_an_index(db: psycopg.Connection) -> None:
    db.execute("CREATE TABLE fk_probe (language_code text REFERENCES languages (code))")
    assert [r["conname"] for r in db.execute(_UNINDEXED_FOREIGN_KEYS)] == [
        "fk_probe_language_code_fkey"
    ]
    db.execute("CREATE INDEX ON fk_probe (language_code) WHERE language_code IS NOT NULL")
    assert db.execute(_UNINDEXED_FOREIGN_KEYS).fetchall() == []


# --- up and down on data ------------------------------------------------------------------


def test_down_and_up_again_keep_the_rows(database_url: str, db: psycopg.Connection) -> None:
    speaker, validator = person(db), person(db)
    made = recording(db, speaker, sentence(db), age_group="twenties")
    vote(db, made, validator, "accept")
    migrator = Migrator(database_url)
    newer = [s.version for s in migrator.status() if s.state == "applied" and s.version > "0007"]
    assert [m.version for m in migrator.down(len(newer) + 1)][-1] == "0007"
    db.execute("UPDATE contributions SET age_group = 'banana' WHERE id = %s", (made,))
    db.execute("UPDATE contributions SET age_group = 'twenties' WHERE id = %s", (made,))
    migrator.up()
    assert db.execute("SELECT count(*) AS n FROM validations").fetchone()["n"] == 1
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("UPDATE contributions SET age_group = 'banana' WHERE id = %s", (made,))
