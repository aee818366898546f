"""The hot queries of speak and validate are served by indexes on realistic data volumes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest

from app.speak.service import _PICK_SENTENCES
from app.validate.service import _PICK_CLIPS


@pytest.fixture
def realistic(db: psycopg.Connection) -> uuid.UUID:
    """60k sentences over two languages, 1,000 speakers and 20k pending recordings; returns the
    id of a validator who has voted on some of them."""
    db.execute(
        """INSERT INTO dataset_rows (language_code, kind, text, contribution_count)
           SELECT CASE WHEN g % 6 = 0 THEN 'en' ELSE 'hi' END, 'sentence', 'वाक्य ' || g, g % 3
             FROM generate_series(1, 60000) g"""
    )
    db.execute(
        "INSERT INTO contributors (id) SELECT gen_random_uuid() FROM generate_series(1, 1000)"
    )
    db.execute(
        """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                                      idempotency_key, media_key, duration_ms, created_at)
           SELECT gen_random_uuid(), p.id, d.id, d.language_code, 'recording',
                  'upload-key-' || d.id, 'recordings/x/' || d.id || '.webm', 3000,
                  now() - d.id * interval '1 second'
             FROM (SELECT id, language_code, row_number() OVER () AS n FROM dataset_rows
                    WHERE id % 3 = 0 LIMIT 20000) d
             JOIN (SELECT id, row_number() OVER () - 1 AS n FROM contributors) p
               ON p.n = d.n % 1000"""
    )
    validator = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (validator,))
    with db.transaction():  # the votes and the counts they make commit together
        db.execute(
            """INSERT INTO validations (contribution_id, validator_id, verdict)
               SELECT id, %s, 'accept' FROM contributions WHERE id %% 7 = 0""",
            (validator,),
        )
        db.execute("UPDATE contributions SET accept_count = 1 WHERE id % 7 = 0")
    db.execute("ANALYZE")
    return validator


def plan(db: psycopg.Connection, query: str, params: dict[str, Any]) -> dict[str, Any]:
    document = db.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()["QUERY PLAN"]
    if isinstance(document, str):
        document = json.loads(document)
    return document[0]["Plan"]


def scans(node: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    found = [(node["Node Type"], node.get("Relation Name"), node.get("Index Name"))]
    for child in node.get("Plans", []):
        found += scans(child)
    return found


def test_picking_sentences_reads_the_index_not_the_table(db, realistic) -> None:
    found = scans(plan(db, _PICK_SENTENCES, {
        "language": "hi", "cap": 3, "report_limit": 3, "me": realistic, "count": 5,
    }))  # fmt: skip

    assert ("Seq Scan", "dataset_rows", None) not in found, found
    assert any(index == "dataset_rows_to_contribute" for _, _, index in found), found


def test_picking_clips_reads_the_index_not_the_table(db, realistic) -> None:
    found = scans(plan(db, _PICK_CLIPS, {
        "language": "hi", "me": realistic, "report_limit": 3, "count": 5,
    }))  # fmt: skip

    assert ("Seq Scan", "contributions", None) not in found, found
    assert ("Seq Scan", "validations", None) not in found, found
    assert any(index == "contributions_to_validate" for _, _, index in found), found
