"""Retiring and re-activating a whole ingest run, as volunteers see it in the speak queue."""

from __future__ import annotations

import pytest

from app.ingest.batches import UnknownBatch, list_batches, set_batch_active
from app.ingest.sentences import ingest_sentences
from tests.ingest.conftest import ENGLISH, HINDI, count


def offered(client, code: str) -> list[str]:
    response = client.get(f"/api/v1/languages/{code}/sentences?count=20")
    assert response.status_code == 200
    return [s["text"] for s in response.get_json()["sentences"]]


def test_retiring_a_batch_takes_its_sentences_out_of_the_queue_and_activating_brings_them_back(
    db, client
) -> None:
    hindi = ingest_sentences(db, HINDI, language="hi")
    english = ingest_sentences(db, ENGLISH, language="en")
    assert hindi.batch_id is not None
    assert len(offered(client, "hi")) == 20

    retired = set_batch_active(db, hindi.batch_id, False)

    assert retired["rows_changed"] == 124 and not retired["is_active"]
    response = client.get("/api/v1/languages/hi/sentences").get_json()
    assert response["sentences"] == [] and response["exhausted"] is True
    assert len(offered(client, "en")) == 20  # another batch is untouched
    active = db.execute("SELECT count(*) AS n FROM dataset_rows WHERE is_active").fetchone()
    assert active["n"] == english.added_count

    back = set_batch_active(db, hindi.batch_id, True)

    assert back["rows_changed"] == 124 and back["is_active"]
    assert len(offered(client, "hi")) == 20
    assert count(db, "dataset_rows") == 124 + 74  # nothing was deleted on the way


def test_batches_are_listed_newest_first_with_their_counts(db) -> None:
    ingest_sentences(db, HINDI, language="hi")
    ingest_sentences(db, HINDI, language="hi")

    listed = list_batches(db)

    assert [(b["added_count"], b["refused_count"]) for b in listed] == [(0, 125), (124, 1)]
    assert listed[0]["refusals"] == {"already_present": 124, "too_long": 1}


def test_a_sentence_already_present_stays_with_the_batch_that_added_it(db, client) -> None:
    first = ingest_sentences(db, HINDI, language="hi")
    second = ingest_sentences(db, HINDI, language="hi")
    assert second.batch_id is not None and first.batch_id is not None

    assert set_batch_active(db, second.batch_id, False)["rows_changed"] == 0
    assert len(offered(client, "hi")) == 20


def test_an_unknown_batch_is_an_error(db) -> None:
    with pytest.raises(UnknownBatch, match="no ingest batch 42"):
        set_batch_active(db, 42, False)
