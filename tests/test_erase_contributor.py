"""Erasing a contributor (app/contributors/erase.py): their rows go, their votes and reports stay
under a new anonymous id, their objects' keys come back, all in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from app.contributors.erase import erase_contributor
from tests.test_schema_constraints import person, recording, sentence, vote


def count(db: psycopg.Connection, query: str, *args: Any) -> int:
    return int(db.execute(query, args).fetchone()["n"])


@pytest.fixture
def history(db: psycopg.Connection) -> dict[str, Any]:
    """Ana recorded two sentences, voted on Ben's recording, skipped, reported, was refused
    once, gave feedback and has a standing; Ben and Chitra voted on Ana's first recording."""
    ana, ben, chitra = person(db), person(db), person(db)
    db.execute("UPDATE contributors SET display_name = 'Ana', age_group = 'twenties'"
               " WHERE id = %s", (ana,))  # fmt: skip
    first, second, third = sentence(db), sentence(db), sentence(db)
    mine = [recording(db, ana, first), recording(db, ana, second)]
    bens = recording(db, ben, first)
    vote(db, mine[0], ben, "accept")
    vote(db, mine[0], chitra, "accept")
    vote(db, bens, ana, "accept")
    vote(db, bens, chitra, "accept")
    db.execute(
        "UPDATE contributions SET accept_count = 2, status = 'accepted', decided_at = now(),"
        " known_answer = 'accept', known_answer_source = 'majority' WHERE id = ANY(%s)",
        ([mine[0], bens],),
    )
    db.execute("INSERT INTO skips (contributor_id, item_id) VALUES (%s, %s)", (ana, third))
    db.execute(
        "INSERT INTO skips (contributor_id, contribution_id) VALUES (%s, %s)", (ben, mine[1])
    )
    db.execute("INSERT INTO reports (reporter_id, item_id, reason, note) VALUES"
               " (%s, %s, 'other', 'I, Ana from Patna, think so')", (ana, third))  # fmt: skip
    db.execute("INSERT INTO reports (reporter_id, contribution_id, reason) VALUES"
               " (%s, %s, 'poor_audio')", (chitra, mine[1]))  # fmt: skip
    db.execute(
        """INSERT INTO upload_refusals (contributor_id, item_id, language_code, idempotency_key,
                                        reason_code, message)
           VALUES (%s, %s, 'hi', 'refused-1', 'too_short', 'Too short.')""",
        (ana, third),
    )
    db.execute("INSERT INTO feedback (contributor_id, category, message) VALUES"
               " (%s, 'praise', 'Nice')", (ana,))  # fmt: skip
    db.execute("INSERT INTO clip_servings (contributor_id, contribution_id) VALUES (%s, %s)",
               (ana, bens))  # fmt: skip
    db.execute("INSERT INTO validator_standing (validator_id, language_code, state)"
               " VALUES (%s, 'hi', 'counting')", (ana,))  # fmt: skip
    keys = db.execute("SELECT media_key FROM contributions WHERE contributor_id = %s"
                      " ORDER BY media_key", (ana,)).fetchall()  # fmt: skip
    return {"ana": ana, "ben": ben, "chitra": chitra, "mine": mine, "bens": bens,
            "items": (first, second, third), "keys": [k["media_key"] for k in keys]}  # fmt: skip


def test_erasing_returns_their_object_keys_and_leaves_nothing_that_names_them(
    db: psycopg.Connection, history: dict[str, Any]
) -> None:
    ana = history["ana"]

    assert erase_contributor(db, ana) == history["keys"] and len(history["keys"]) == 2

    # No row anywhere still holds their id: every foreign key to contributors, from the catalog.
    referencing = db.execute(
        """SELECT c.conrelid::regclass::text AS tab, a.attname AS col
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND c.confrelid = 'contributors'::regclass"""
    ).fetchall()
    assert len(referencing) >= 8
    for ref in referencing:
        assert count(db, f"SELECT count(*) AS n FROM {ref['tab']} WHERE {ref['col']} = %s",
                     ana) == 0, ref  # fmt: skip
    assert count(db, "SELECT count(*) AS n FROM contributors WHERE id = %s", ana) == 0


def test_their_recordings_go_with_what_hangs_on_them(
    db: psycopg.Connection, history: dict[str, Any]
) -> None:
    erase_contributor(db, history["ana"])

    assert count(db, "SELECT count(*) AS n FROM contributions WHERE id = ANY(%s)",
                 history["mine"]) == 0  # fmt: skip
    # Ben's and Chitra's votes on Ana's recording, Ben's skip and Chitra's report of it.
    assert count(db, "SELECT count(*) AS n FROM validations WHERE contribution_id = ANY(%s)",
                 history["mine"]) == 0  # fmt: skip
    assert count(db, "SELECT count(*) AS n FROM skips") == 0
    assert count(db, "SELECT count(*) AS n FROM reports WHERE contribution_id IS NOT NULL") == 0
    # The sentences count Ben's recording only.
    first, second, _ = history["items"]
    counts = db.execute(
        "SELECT id, contribution_count AS n FROM dataset_rows WHERE id = ANY(%s) ORDER BY id",
        ([first, second],),
    ).fetchall()
    assert [r["n"] for r in counts] == [1, 0]


def test_their_votes_and_reports_stay_anonymised_and_verdicts_keep_their_votes(
    db: psycopg.Connection, history: dict[str, Any]
) -> None:
    erase_contributor(db, history["ana"])

    votes = db.execute(
        "SELECT validator_id, verdict FROM validations WHERE contribution_id = %s"
        " ORDER BY validator_id = %s",
        (history["bens"], history["chitra"]),
    ).fetchall()
    heir = votes[0]["validator_id"]
    assert len(votes) == 2 and heir != history["ana"]
    assert db.execute(
        "SELECT accept_count, status FROM contributions WHERE id = %s", (history["bens"],)
    ).fetchone() == {"accept_count": 2, "status": "accepted"}
    # The heir is a bare row: no profile, holding only the vote and the report.
    assert db.execute(
        "SELECT display_name, age_group, gender, mother_tongue, region_code"
        " FROM contributors WHERE id = %s",
        (heir,),
    ).fetchone() == dict.fromkeys(
        ("display_name", "age_group", "gender", "mother_tongue", "region_code")
    )
    report = db.execute("SELECT reporter_id, note FROM reports WHERE item_id IS NOT NULL")
    assert report.fetchone() == {"reporter_id": heir, "note": "(erased)"}
    # Their feedback stays without a name.
    assert db.execute("SELECT contributor_id, message FROM feedback").fetchone() == {
        "contributor_id": None,
        "message": "Nice",
    }


def test_an_unknown_contributor_changes_nothing(
    db: psycopg.Connection, history: dict[str, Any]
) -> None:
    before = count(db, "SELECT count(*) AS n FROM contributors")
    assert erase_contributor(db, uuid.uuid4()) == []
    assert count(db, "SELECT count(*) AS n FROM contributors") == before


def test_a_failure_part_way_leaves_everything_as_it_was(
    database_url: str, history: dict[str, Any]
) -> None:
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        # A row erase does not know about, referencing the contributor: the final delete fails.
        conn.execute("CREATE TABLE later_feature (who uuid REFERENCES contributors (id))")
        conn.execute("INSERT INTO later_feature VALUES (%s)", (history["ana"],))
        conn.commit()
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            erase_contributor(conn, history["ana"])
        conn.rollback()
        row = conn.execute(
            "SELECT (SELECT count(*) FROM contributions WHERE contributor_id = %(a)s) AS made,"
            " (SELECT count(*) FROM validations WHERE validator_id = %(a)s) AS votes",
            {"a": history["ana"]},
        ).fetchone()
    assert row == {"made": 2, "votes": 1}
