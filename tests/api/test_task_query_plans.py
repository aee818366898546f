"""The typed tasks' hot statements are served by indexes on realistic volumes, as speak's are
(ADR 0010 §5: each new task adds its statements to the plan tests)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from app.contribute.opening import make_prompts, set_task
from app.tasks import LABEL, TRANSLATE
from tests.api.test_query_plans import plan, scans


@pytest.fixture
def volumes(db: psycopg.Connection) -> uuid.UUID:
    """40k images in Hindi and Tamil, 20k English sentences with Hindi prompts, 15k pending
    labels and 5k pending translations; returns a validator's id."""
    set_task(db, LABEL, "hi")
    set_task(db, TRANSLATE, "hi")
    db.execute(
        """INSERT INTO dataset_rows (language_code, kind, media_key, contribution_count)
           SELECT CASE WHEN g % 4 = 0 THEN 'ta' ELSE 'hi' END, 'image',
                  'media/x/' || g || '.png', g % 2
             FROM generate_series(1, 40000) g"""
    )
    db.execute(
        """INSERT INTO dataset_rows (language_code, kind, text)
           SELECT 'en', 'sentence', 'Sentence ' || g FROM generate_series(1, 20000) g"""
    )
    make_prompts(db, "en", "hi")
    db.execute(
        "INSERT INTO contributors (id) SELECT gen_random_uuid() FROM generate_series(1, 500)"
    )
    db.execute(
        """INSERT INTO contributions (public_id, contributor_id, item_id, language_code, kind,
                                      idempotency_key, text)
           SELECT gen_random_uuid(), p.id, d.id, d.language_code,
                  CASE d.kind WHEN 'image' THEN 'label' ELSE 'translation' END,
                  'answer-key-' || d.id, 'पाठ ' || d.id
             FROM (SELECT id, language_code, kind, row_number() OVER () AS n FROM dataset_rows
                    WHERE kind IN ('image', 'prompt') AND language_code = 'hi' AND id % 2 = 0
                    LIMIT 20000) d
             JOIN (SELECT id, row_number() OVER () - 1 AS n FROM contributors) p
               ON p.n = d.n % 500"""
    )
    validator = uuid.uuid4()
    db.execute("INSERT INTO contributors (id) VALUES (%s)", (validator,))
    db.execute("ANALYZE")
    return validator


@pytest.mark.parametrize("task", [LABEL, TRANSLATE], ids=lambda t: t.name)
def test_picking_items_reads_an_index_not_the_table(db, volumes, task) -> None:
    params = {"language": "hi", "cap": 1, "report_limit": 3, "me": volumes, "count": 5}
    if task.by_source:
        params["source"] = "en"

    found = scans(plan(db, task.sql.pick_items, params))

    assert ("Seq Scan", "dataset_rows", None) not in found, found
    expected = (
        "dataset_rows_prompts_to_contribute" if task.by_source else "dataset_rows_to_contribute"
    )
    assert any(index == expected for _, _, index in found), found


@pytest.mark.parametrize("task", [LABEL, TRANSLATE], ids=lambda t: t.name)
def test_the_queue_reads_the_index_not_the_table(db, volumes, task) -> None:
    params = {"language": "hi", "me": volumes, "report_limit": 3, "count": 5}
    if task.by_source:
        params["source"] = None

    found = scans(plan(db, task.sql.pick_to_validate, params))

    assert ("Seq Scan", "contributions", None) not in found, found
    assert any(index == "contributions_to_validate" for _, _, index in found), found
