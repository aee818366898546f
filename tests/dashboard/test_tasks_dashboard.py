"""tasks.json: the dashboard of transcribe, translate and label equals what independent SQL
counts in the tables (issue #18)."""

from __future__ import annotations

from typing import Any

import psycopg

from app.contribute.opening import make_prompts, set_task
from app.tasks import LABEL, TRANSCRIBE, TRANSLATE
from tests.api.test_tasks import add_items, answer, queue, vote
from tests.dashboard.conftest import published

# Independent of the view: straight from the tables, one task at a time.
_EXPECTED = """
SELECT d.language_code AS language, coalesce(d.source_language_code, '') AS source,
       count(DISTINCT d.id) FILTER (WHERE d.is_active) AS items,
       count(DISTINCT c.item_id) AS items_contributed,
       count(DISTINCT c.item_id) FILTER (WHERE c.status = 'accepted') AS items_validated,
       count(c.id) AS contributions,
       count(c.id) FILTER (WHERE c.status = 'accepted') AS accepted,
       count(c.id) FILTER (WHERE c.status = 'rejected') AS rejected,
       count(c.id) FILTER (WHERE c.status = 'pending') AS pending,
       count(c.id) FILTER (WHERE c.corrects_id IS NOT NULL) AS corrections,
       (SELECT coalesce(sum(x.media_duration_ms), 0) FROM dataset_rows x
         WHERE x.kind = %(kind)s AND x.language_code = d.language_code
           AND EXISTS (SELECT 1 FROM contributions y
                        WHERE y.item_id = x.id AND y.status = 'accepted')) AS ms_validated
  FROM dataset_rows d LEFT JOIN contributions c ON c.item_id = d.id
 WHERE d.kind = %(kind)s
 GROUP BY d.language_code, coalesce(d.source_language_code, '')
"""


def _history(person: Any, db: psycopg.Connection) -> None:
    set_task(db, LABEL, "hi", votes_to_decide=1)
    set_task(db, TRANSCRIBE, "hi", votes_to_decide=1, goal=3_600_000)
    set_task(db, TRANSLATE, "hi", votes_to_decide=1)
    images = add_items(db, "image", 4)
    clips = add_items(db, "audio", 3, duration_ms=4_000)
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text)"
        " VALUES ('en', 'sentence', 'Good morning.'), ('en', 'sentence', 'Thank you.')"
    )
    make_prompts(db, "en", "hi")
    prompts = [r["id"] for r in db.execute("SELECT id FROM dataset_rows WHERE kind = 'prompt'")]
    text = "यह एक छोटा वाक्य है"
    for item in images[:3]:
        assert answer(person(), "label", item, text).status_code == 201
    for item in clips[:2]:
        assert answer(person(), "transcribe", item, text).status_code == 201
    for item in prompts:
        assert answer(person(), "translate", item, "सुप्रभात और धन्यवाद").status_code == 201
    checker = person()
    labels = queue(checker, "label")
    assert vote(checker, labels[0]["id"], "accept").status_code == 201
    assert vote(checker, labels[1]["id"], "change", text="यह एक बड़ा वाक्य है").status_code == 201
    db.execute("UPDATE clip_servings SET served_at = served_at - interval '1 hour'")
    clip_answers = queue(checker, "transcribe")
    db.execute("UPDATE clip_servings SET served_at = served_at - interval '1 hour'")
    assert vote(checker, clip_answers[0]["id"], "accept").status_code == 201
    translations = queue(checker, "translate", **{"from": "en"})
    assert vote(checker, translations[0]["id"], "reject").status_code == 201


def test_tasks_json_equals_independent_sql(app, person, db, refresh) -> None:
    _history(person, db)

    refresh()
    published_rows = published(app)["tasks"]["tasks"]

    by_key = {(r["task"], r["language"], r["source_language"] or ""): r for r in published_rows}
    for task, kind in (("label", "image"), ("transcribe", "audio"), ("translate", "prompt")):
        for expected in db.execute(_EXPECTED, {"kind": kind}).fetchall():
            row = by_key.pop((task, expected["language"], expected["source"]))
            for field in ("items", "items_contributed", "items_validated", "contributions",
                          "accepted", "rejected", "pending", "corrections"):  # fmt: skip
                assert row[field] == expected[field], (task, field)
            if task == "transcribe":
                assert row["hours_validated"] == round(expected["ms_validated"] / 3_600_000, 3)
                assert row["goal"] == {"unit": "hours", "target": 1.0,
                                       "done": row["hours_validated"]}  # fmt: skip
            else:
                assert row["hours_validated"] is None
                assert row["goal"] == {"unit": "items", "target": 5000,
                                       "done": expected["items_validated"]}  # fmt: skip
    assert by_key == {}
    label = next(r for r in published_rows if r["task"] == "label")
    assert (label["contributions"], label["corrections"], label["accepted"]) == (4, 1, 1)
    summary = published(app)["summary"]  # speak's own numbers: no recording, no vote on one
    assert (summary["totals"]["recordings"], summary["totals"]["validators"]) == (0, 0)
    assert all(language["validators"] == 0 for language in summary["languages"])
