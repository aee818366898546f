"""Migrations 0007 and 0009: the schema refuses what the code never writes (each finding of
issue #16 reproduced as a refused row), every foreign key has an index, and a recording's counts
are its counted votes. Erasing a contributor is tested in tests/test_erase_contributor.py.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from app.db.migrations import MigrationError, Migrator


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
    """A counted vote and the recording's counts with it (one transaction, as cast_vote)."""
    with db.transaction():
        db.execute(
            "INSERT INTO validations (contribution_id, validator_id, verdict) VALUES (%s, %s, %s)",
            (contribution, validator, verdict),
        )
        db.execute(
            "UPDATE contributions SET accept_count = accept_count + (%(v)s = 'accept')::int,"
            " reject_count = reject_count + (%(v)s = 'reject')::int WHERE id = %(id)s",
            {"v": verdict, "id": contribution},
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
    # A majority's known answer needs accepts and no rejects in the counts (0007); that the
    # counts are the votes is 0009's, tested below.
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


# --- 0009: the counts are the counted votes, checked when the transaction commits ---------


def refused_at_commit(database_url: str, *statements: tuple[str, tuple[object, ...]]) -> str:
    """Run the statements in one transaction; return the constraint its COMMIT broke."""
    with psycopg.connect(database_url) as conn:
        for statement, args in statements:
            conn.execute(statement, args)
        with pytest.raises(psycopg.errors.CheckViolation) as refused:
            conn.commit()
    return str(refused.value.diag.constraint_name)


def counts(db: psycopg.Connection, made: int) -> tuple[str, int, int]:
    row = db.execute(
        "SELECT status, accept_count, reject_count FROM contributions WHERE id = %s", (made,)
    ).fetchone()
    return row["status"], row["accept_count"], row["reject_count"]


def test_accepted_with_50_accepts_and_no_votes_is_refused(
    database_url: str, db: psycopg.Connection
) -> None:
    # The finding, as it was tried: inside a transaction, with no vote rows at all.
    made = recording(db, person(db), sentence(db))
    broken = refused_at_commit(
        database_url,
        ("UPDATE contributions SET status = 'accepted', decided_at = now(), accept_count = 50"
         " WHERE id = %s", (made,)),
    )  # fmt: skip
    assert broken == "contributions_counts_are_votes"
    assert counts(db, made) == ("pending", 0, 0)


def test_a_decided_status_with_counts_but_no_votes_is_refused_in_autocommit(
    db: psycopg.Connection,
) -> None:
    made = recording(db, person(db), sentence(db))
    with pytest.raises(psycopg.errors.CheckViolation, match="counted votes"):
        db.execute("UPDATE contributions SET status = 'rejected', decided_at = now(),"
                   " reject_count = 2 WHERE id = %s", (made,))  # fmt: skip
    assert counts(db, made) == ("pending", 0, 0)


def test_a_counted_vote_without_its_count_is_refused(
    database_url: str, db: psycopg.Connection
) -> None:
    made, validator = recording(db, person(db), sentence(db)), person(db)
    broken = refused_at_commit(
        database_url,
        ("INSERT INTO validations (contribution_id, validator_id, verdict) VALUES (%s, %s,"
         " 'reject')", (made, validator)),
    )  # fmt: skip
    assert broken == "contributions_counts_are_votes"
    assert db.execute("SELECT count(*) AS n FROM validations").fetchone()["n"] == 0


def test_a_vote_that_stops_counting_needs_a_recount(
    database_url: str, db: psycopg.Connection
) -> None:
    made, validator = recording(db, person(db), sentence(db)), person(db)
    vote(db, made, validator, "accept")
    flip = ("UPDATE validations SET counted = false WHERE validator_id = %s", (validator,))
    assert refused_at_commit(database_url, flip) == "contributions_counts_are_votes"
    changed = ("UPDATE validations SET verdict = 'reject' WHERE validator_id = %s", (validator,))
    assert refused_at_commit(database_url, changed) == "contributions_counts_are_votes"
    gone = ("DELETE FROM validations WHERE validator_id = %s", (validator,))
    assert refused_at_commit(database_url, gone) == "contributions_counts_are_votes"
    # With the recount in the same transaction (what app.validate.trust does), it commits.
    with db.transaction():
        db.execute(*flip)
        db.execute("UPDATE contributions SET accept_count = 0 WHERE id = %s", (made,))
    assert counts(db, made) == ("pending", 0, 0)


def test_votes_that_do_not_count_and_removed_recordings_need_no_counts(
    db: psycopg.Connection,
) -> None:
    made, validator = recording(db, person(db), sentence(db)), person(db)
    db.execute(
        "INSERT INTO validations (contribution_id, validator_id, verdict, role, counted,"
        " expected) VALUES (%s, %s, 'accept', 'practice', false, 'accept')",
        (made, validator),
    )
    other = person(db)
    vote(db, made, other, "reject")
    # A removed recording takes no votes and is not recounted; a restore recounts it.
    db.execute("UPDATE contributions SET status = 'removed', decided_at = now() WHERE id = %s",
               (made,))  # fmt: skip
    db.execute("UPDATE validations SET counted = false WHERE validator_id = %s", (other,))
    assert counts(db, made) == ("removed", 0, 1)
    with pytest.raises(psycopg.errors.CheckViolation, match="counted votes"):
        db.execute("UPDATE contributions SET status = 'pending', decided_at = NULL"
                   " WHERE id = %s", (made,))  # fmt: skip
    # Deleting the recording deletes its votes with it: nothing left to disagree.
    db.execute("DELETE FROM contributions WHERE id = %s", (made,))
    assert db.execute("SELECT count(*) AS n FROM validations").fetchone()["n"] == 0


def readme_recount() -> str:
    """The statement the README gives under "Recounting votes"."""
    text = (Path(__file__).parent.parent / "README.md").read_text()
    section = text[text.index("**Recounting votes.**") :]
    return section[section.index("```sql\n") + 7 : section.index("```\n", 10)]


def test_0009_stops_on_stored_counts_that_are_not_votes_and_the_readme_fix_works(
    database_url: str, db: psycopg.Connection
) -> None:
    migrator = Migrator(database_url)
    newer = [s.version for s in migrator.status() if s.state == "applied" and s.version > "0008"]
    migrator.down(len(newer))
    speaker, validator = person(db), person(db)
    hand_edited = recording(db, speaker, sentence(db))
    removed = recording(db, speaker, sentence(db))
    db.execute("UPDATE contributions SET status = 'accepted', decided_at = now(),"
               " accept_count = 50 WHERE id = %s", (hand_edited,))  # fmt: skip
    db.execute("UPDATE contributions SET status = 'removed', decided_at = now(),"
               " reject_count = 3 WHERE id = %s", (removed,))  # fmt: skip
    voted = recording(db, speaker, sentence(db))
    vote(db, voted, validator, "reject")  # its counts follow (0, 1)

    stopped = rf"1 recordings .* \(contributions.id {hand_edited}\)"
    with pytest.raises(MigrationError, match=stopped):
        migrator.up()
    assert [s.version for s in migrator.status() if s.state == "pending"] == newer

    db.execute(readme_recount())
    migrator.up()
    assert counts(db, hand_edited) == ("accepted", 0, 0)  # the status is left to the operator
    assert counts(db, voted) == ("pending", 0, 1)
    assert counts(db, removed) == ("removed", 0, 3)


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
