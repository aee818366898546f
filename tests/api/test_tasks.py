"""The typed tasks through HTTP (issue #18): picking, the rules at the write, the text checks
and their refusals, the pre-check, corrections, verdicts under concurrency, no
self-validation. Each test asserts the rows stored."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from app.contribute.opening import make_prompts, set_task
from app.tasks import LABEL, TRANSCRIBE, TRANSLATE
from tests.api.conftest import count_rows, error_of


def open_task(db: psycopg.Connection, task: Any, language: str = "hi", **numbers: Any) -> None:
    set_task(db, task, language, **numbers)


def add_items(
    db: psycopg.Connection, kind: str, n: int, *, language: str = "hi",
    reference: str | None = None, duration_ms: int = 3000,
) -> list[int]:  # fmt: skip
    ids = []
    for _ in range(n):
        ext = "png" if kind == "image" else "wav"
        row = db.execute(
            "INSERT INTO dataset_rows (language_code, kind, text, media_key, media_duration_ms,"
            " media_measures) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (
                language, kind, reference, f"media/{language}/{uuid.uuid4().hex}.{ext}",
                duration_ms if kind == "audio" else None,
                Jsonb({"width": 320, "height": 80, "format": "png"}) if kind == "image" else None,
            ),
        ).fetchone()  # fmt: skip
        ids.append(row["id"])
    return ids


def answer(client: Any, task: str, item: int, text: str, **extra: Any) -> Any:
    body = {"item_id": item, "idempotency_key": uuid.uuid4().hex, "text": text, **extra}
    return client.post(f"/api/v1/tasks/{task}/contributions", json=body)


def queue(client: Any, task: str, language: str = "hi", **query: Any) -> list[dict]:
    args = "&".join(f"{k}={v}" for k, v in {"count": 20, **query}.items())
    response = client.get(f"/api/v1/tasks/{task}/languages/{language}/queue?{args}")
    assert response.status_code == 200, response.get_json()
    # a queue says whether it was handed to a session (the page asks for one only if not)
    assert response.get_json()["session"] is (client.get_cookie("cs_id") is not None)
    return response.get_json()["contributions"]


def vote(client: Any, contribution: str, verdict: str, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/contributions/{contribution}/votes", json={"verdict": verdict, **extra}
    )


HINDI = "यह एक छोटा वाक्य है"


# ---- picking ----------------------------------------------------------------------------


def test_label_items_show_the_image_but_never_the_reference(person, db) -> None:
    open_task(db, LABEL, cap=2)
    items = add_items(db, "image", 3, reference="गुप्त संदर्भ")
    me = person()

    body = me.get("/api/v1/tasks/label/languages/hi/items?count=5").get_json()

    assert sorted(i["id"] for i in body["items"]) == items
    for item in body["items"]:
        assert item["text"] is None  # the reference is the pre-check's, not the volunteer's
        assert item["media_url"].startswith(f"/api/v1/items/{item['id']}/media?token=")
        assert (item["media_type"], item["width"], item["height"]) == ("image/png", 320, 80)
    assert answer(me, "label", items[0], HINDI, confirmed=True).status_code == 201
    again = me.get("/api/v1/tasks/label/languages/hi/items?count=5").get_json()["items"]
    assert items[0] not in [i["id"] for i in again]  # never twice for a person


def test_fewest_answers_first_and_the_cap(person, db) -> None:
    open_task(db, LABEL, cap=1)
    items = add_items(db, "image", 2)
    assert answer(person(), "label", items[0], HINDI).status_code == 201

    picked = person().get("/api/v1/tasks/label/languages/hi/items").get_json()["items"]

    assert [i["id"] for i in picked] == [items[1]]  # the full one is left out


def test_a_task_not_open_in_a_language_is_refused(person, db) -> None:
    add_items(db, "image", 1)
    me = person()
    assert error_of(me.get("/api/v1/tasks/label/languages/hi/items")) == (409, "task_closed")
    open_task(db, LABEL)
    assert me.get("/api/v1/tasks/label/languages/hi/items").status_code == 200
    set_task(db, LABEL, "hi", is_open=False)
    assert error_of(me.get("/api/v1/tasks/label/languages/hi/items")) == (409, "task_closed")
    assert error_of(me.get("/api/v1/tasks/paint/languages/hi/items")) == (404, "unknown_task")
    assert error_of(me.get("/api/v1/tasks/speak/languages/hi/items")) == (404, "unknown_task")
    assert error_of(me.get("/api/v1/tasks/label/languages/xx/items")) == (404, "unknown_language")


def test_item_media_is_served_only_with_a_signed_link(person, db, app) -> None:
    open_task(db, LABEL)
    (item,) = add_items(db, "image", 1)
    key = db.execute("SELECT media_key FROM dataset_rows WHERE id = %s", (item,)).fetchone()
    app.extensions["crowdsource.storage"].put(
        key["media_key"], b"\x89PNG fake", content_type="image/png"
    )
    me = person()
    (shown,) = me.get("/api/v1/tasks/label/languages/hi/items").get_json()["items"]

    assert me.get(shown["media_url"]).data == b"\x89PNG fake"
    assert error_of(me.get(f"/api/v1/items/{item}/media?token=forged")) == (403, "link_expired")
    assert error_of(me.get(f"/api/v1/items/{item}/media")) == (403, "link_expired")


# ---- the text rules at the write ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("   ", "empty_text"),
        ("!!! ...", "empty_text"),
        ("देखें https://example.com यहाँ", "has_url"),
        ("लिखें name@example.com पर", "has_url"),
        ("this is english only", "wrong_script"),
        ("இது தமிழ் வாக்கியம்", "wrong_script"),
        ("क" * 1500, "too_long"),
    ],
)
def test_each_text_refusal_says_why_and_stores_nothing(person, db, text: str, code: str) -> None:
    open_task(db, LABEL)
    (item,) = add_items(db, "image", 1, reference="छोटा")

    response = answer(person(), "label", item, text)

    assert error_of(response) == (422, code)
    assert response.get_json()["error"]["field"] == "text"
    assert count_rows(db, "contributions") == 0
    assert (
        db.execute("SELECT contribution_count FROM dataset_rows").fetchone()["contribution_count"]
        == 0
    )


def test_a_transcript_much_too_short_for_its_clip_is_refused(person, db) -> None:
    open_task(db, TRANSCRIBE)
    (item,) = add_items(db, "audio", 1, duration_ms=20_000)

    assert error_of(answer(person(), "transcribe", item, "हाँ")) == (422, "too_short")
    assert answer(person(), "transcribe", item, HINDI * 4).status_code == 201


def test_text_is_stored_normalised(person, db) -> None:
    open_task(db, LABEL)
    (item,) = add_items(db, "image", 1)
    decomposed = "न\u093c\u093e  ताब   "  # NNNA written as NA + nukta, runs of spaces

    response = answer(person(), "label", item, decomposed)

    assert response.status_code == 201
    stored = db.execute("SELECT text, kind FROM contributions").fetchone()
    assert stored["text"] == "\u0929\u093e ताब" and stored["kind"] == "label"
    assert response.get_json()["contribution"]["text"] == stored["text"]


def test_a_translation_that_copies_its_source_is_refused(person, db) -> None:
    open_task(db, TRANSLATE)
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('en', 'sentence', %s)",
        ("Water is life.",),
    )
    make_prompts(db, "en", "hi")
    me = person()
    (item,) = me.get("/api/v1/tasks/translate/languages/hi/items?from=en").get_json()["items"]
    assert item["text"] == "Water is life."  # the source sentence is shown

    assert error_of(answer(me, "translate", item["id"], "Water  is life.")) == (
        422,
        "wrong_script",
    )  # fmt: skip  (the rules run in order: a Latin copy is not Devanagari first)
    assert answer(me, "translate", item["id"], "जल ही जीवन है।").status_code == 201
    row = db.execute("SELECT language_code, kind FROM contributions").fetchone()
    assert (row["language_code"], row["kind"]) == ("hi", "translation")


def test_translate_needs_a_source_language_with_prompts(person, db) -> None:
    open_task(db, TRANSLATE)
    me = person()
    assert error_of(me.get("/api/v1/tasks/translate/languages/hi/items")) == (
        400, "source_required",
    )  # fmt: skip
    assert error_of(me.get("/api/v1/tasks/translate/languages/hi/items?from=ta")) == (
        404, "unknown_language",
    )  # fmt: skip


def test_the_same_key_returns_the_first_answer_and_another_item_is_a_conflict(person, db) -> None:
    open_task(db, LABEL)
    items = add_items(db, "image", 2)
    me = person()
    body = {"item_id": items[0], "idempotency_key": "key-12345678", "text": HINDI}

    first = me.post("/api/v1/tasks/label/contributions", json=body)
    again = me.post("/api/v1/tasks/label/contributions", json=body)
    other = me.post("/api/v1/tasks/label/contributions", json={**body, "item_id": items[1]})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["achievements"] == []  # awarded once, with the first
    assert again.get_json()["contribution"] == first.get_json()["contribution"]
    assert error_of(other) == (409, "idempotency_conflict")
    assert count_rows(db, "contributions") == 1


def test_twenty_people_for_the_last_slot_store_one(person, db) -> None:
    open_task(db, LABEL, cap=1)
    (item,) = add_items(db, "image", 1)
    people = [person() for _ in range(20)]
    codes: list[int] = []
    start = threading.Barrier(20)

    def go(client: Any) -> None:
        start.wait()
        codes.append(answer(client, "label", item, HINDI).status_code)

    threads = [threading.Thread(target=go, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(codes) == [201] + [409] * 19
    assert count_rows(db, "contributions") == 1
    row = db.execute("SELECT contribution_count FROM dataset_rows").fetchone()
    assert row["contribution_count"] == 1


# ---- the pre-check -----------------------------------------------------------------------


def test_far_from_the_reference_asks_to_confirm_and_stores_the_score(person, db) -> None:
    open_task(db, LABEL)
    items = add_items(db, "image", 2, reference="नमस्ते दुनिया")
    me = person()

    far = answer(me, "label", items[0], "बिलकुल अलग बात")
    assert error_of(far) == (422, "far_from_reference")
    assert count_rows(db, "contributions") == 0
    confirmed = answer(me, "label", items[0], "बिलकुल अलग बात", confirmed=True)
    close = answer(me, "label", items[1], "नमस्ते दुनिया")

    assert confirmed.status_code == close.status_code == 201
    rows = db.execute(
        "SELECT item_id, reference_metric, reference_score, past_threshold FROM contributions"
        " ORDER BY item_id"
    ).fetchall()
    assert [(r["reference_metric"], r["past_threshold"]) for r in rows] == [
        ("cer", True), ("cer", False),
    ]  # fmt: skip
    assert rows[0]["reference_score"] > 0.35 and rows[1]["reference_score"] == 0
    assert confirmed.get_json()["contribution"]["reference"]["past_threshold"] is True
    flagged = {c["text"]: c["flagged"] for c in queue(person(), "label")}
    assert flagged == {"बिलकुल अलग बात": True, "नमस्ते दुनिया": False}


def test_translations_are_scored_with_chrf(person, db) -> None:
    open_task(db, TRANSLATE)
    db.execute(
        "WITH b AS (INSERT INTO ingest_batches (kind, source) VALUES ('parallel', 't')"
        " RETURNING id) INSERT INTO parallel_rows (batch_id, line) SELECT id, 1 FROM b"
    )
    parallel = db.execute("SELECT id FROM parallel_rows").fetchone()["id"]
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text, parallel_row_id) VALUES"
        " ('en', 'sentence', 'Water is life.', %(p)s), ('hi', 'sentence', 'जल ही जीवन है।', %(p)s)",
        {"p": parallel},
    )
    make_prompts(db, "en", "hi")
    me = person()
    (item,) = me.get("/api/v1/tasks/translate/languages/hi/items?from=en").get_json()["items"]

    assert answer(me, "translate", item["id"], "जल ही जीवन है।").status_code == 201
    row = db.execute("SELECT reference_metric, reference_score FROM contributions").fetchone()
    assert (row["reference_metric"], row["reference_score"]) == ("chrf", 100.0)


# ---- validation and corrections -----------------------------------------------------------


def test_needs_a_change_stores_a_reject_and_a_linked_correction(person, db) -> None:
    open_task(db, LABEL, votes_to_decide=1)
    (item,) = add_items(db, "image", 1)
    author, corrector, third = person(), person(), person()
    assert answer(author, "label", item, "गलत शब्द").status_code == 201
    (original,) = queue(corrector, "label")

    response = vote(corrector, original["id"], "change", text="सही शब्द")

    assert response.status_code == 201, response.get_json()
    correction = response.get_json()["correction"]
    assert correction["text"] == "सही शब्द"
    rows = {
        r["public_id"]: r
        for r in db.execute(
            "SELECT public_id::text, id, contributor_id, item_id, corrects_id, status,"
            " reject_count FROM contributions"
        ).fetchall()
    }
    assert rows[original["id"]]["status"] == "rejected"  # one vote decides here
    assert rows[correction["id"]]["corrects_id"] == rows[original["id"]]["id"]
    assert rows[correction["id"]]["contributor_id"] == corrector.contributor_id()
    assert rows[correction["id"]]["item_id"] == item
    verdicts = db.execute("SELECT verdict FROM validations").fetchall()
    assert [v["verdict"] for v in verdicts] == ["reject"]
    # the correction waits in the queue itself, for someone else
    assert [c["id"] for c in queue(third, "label")] == [correction["id"]]
    assert queue(author, "label") == []  # the author worked on the item: not their call
    assert vote(third, correction["id"], "accept").status_code == 201
    status = db.execute(
        "SELECT status FROM contributions WHERE public_id = %s", (correction["id"],)
    ).fetchone()
    assert status["status"] == "accepted"
    # a replay of the change gives the same correction and stores nothing more
    again = vote(corrector, original["id"], "change", text="सही शब्द")
    assert again.status_code == 200 and again.get_json()["correction"]["id"] == correction["id"]
    assert count_rows(db, "contributions") == 2


def test_a_refused_correction_stores_neither_vote_nor_text(person, db) -> None:
    open_task(db, LABEL)
    (item,) = add_items(db, "image", 1)
    assert answer(person(), "label", item, "गलत शब्द").status_code == 201
    corrector = person()
    (original,) = queue(corrector, "label")

    assert error_of(vote(corrector, original["id"], "change", text="see www.x.com")) == (
        422, "has_url",
    )  # fmt: skip
    assert error_of(vote(corrector, original["id"], "change", text="गलत  शब्द")) == (
        422, "correction_unchanged",
    )  # fmt: skip
    assert error_of(vote(corrector, original["id"], "change")) == (400, "invalid_input")
    assert count_rows(db, "validations") == 0
    assert count_rows(db, "contributions") == 1


def test_no_self_validation_and_no_judging_an_item_you_worked_on(person, db) -> None:
    open_task(db, LABEL, cap=2)
    (item,) = add_items(db, "image", 1)
    first, second = person(), person()
    mine = answer(first, "label", item, "पहला").get_json()["contribution"]["id"]
    theirs = answer(second, "label", item, "दूसरा").get_json()["contribution"]["id"]

    assert error_of(vote(first, mine, "accept")) == (403, "own_contribution")
    assert error_of(vote(first, theirs, "accept")) == (403, "own_item")
    assert queue(first, "label") == []
    assert count_rows(db, "validations") == 0


def test_a_speak_recording_cannot_be_corrected(person, db, add_sentences) -> None:
    from tests.api.conftest import record

    (sentence,) = add_sentences(1)
    recording = record(person(), sentence)
    assert error_of(vote(person(), recording, "change", text="नया")) == (422, "no_corrections")


def test_fifty_concurrent_voters_leave_exact_counts_and_one_verdict(person, db) -> None:
    open_task(db, LABEL)
    (item,) = add_items(db, "image", 1)
    assert answer(person(), "label", item, HINDI).status_code == 201
    voters = [(person(), "accept" if i % 5 else "reject") for i in range(50)]
    contribution = db.execute("SELECT public_id::text AS id FROM contributions").fetchone()["id"]
    for client, _ in voters:
        assert [c["id"] for c in queue(client, "label")] == [contribution]  # served
    results: list[int] = []
    start = threading.Barrier(50)

    def cast(client: Any, verdict: str) -> None:
        start.wait()
        results.append(vote(client, contribution, verdict).status_code)

    threads = [threading.Thread(target=cast, args=pair) for pair in voters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(results) == [201] * 50
    row = db.execute("SELECT accept_count, reject_count, status FROM contributions").fetchone()
    assert (row["accept_count"], row["reject_count"], row["status"]) == (40, 10, "accepted")
    assert count_rows(db, "validations") == 50


def test_a_vote_before_the_answer_was_served_is_refused(person, db) -> None:
    open_task(db, LABEL)
    (item,) = add_items(db, "image", 1)
    public = answer(person(), "label", item, HINDI).get_json()["contribution"]["id"]

    response = person().post(
        f"/api/v1/contributions/{public}/votes", json={"verdict": "accept"}, listened=False
    )

    assert error_of(response) == (422, "not_listened")
    assert count_rows(db, "validations") == 0


def test_standing_is_per_task(person, db, add_sentences) -> None:
    from tests.api.conftest import record

    open_task(db, LABEL)
    (item,) = add_items(db, "image", 1)
    (sentence,) = add_sentences(1)
    recording = record(person(), sentence)
    label = answer(person(), "label", item, HINDI).get_json()["contribution"]["id"]
    validator = person()
    queue(validator, "label")
    assert vote(validator, recording, "accept").status_code == 201
    assert vote(validator, label, "accept").status_code == 201

    tasks = db.execute(
        "SELECT task FROM validator_standing WHERE validator_id = %s ORDER BY task",
        (validator.contributor_id(),),
    ).fetchall()
    assert [t["task"] for t in tasks] == ["label", "speak"]


def test_open_tasks_are_listed_per_language_and_pair(person, db) -> None:
    open_task(db, LABEL)
    open_task(db, TRANSLATE)
    add_items(db, "image", 2)
    db.execute(
        "INSERT INTO dataset_rows (language_code, kind, text) VALUES ('en', 'sentence', 'A.')"
    )
    make_prompts(db, "en", "hi")

    listed = person().get("/api/v1/tasks").get_json()["tasks"]

    assert listed == [
        {"task": "label", "language": "hi", "source_language": None, "items_open": 2},
        {"task": "translate", "language": "hi", "source_language": "en", "items_open": 1},
    ]


def test_me_counts_each_tasks_answers_and_votes(person, db) -> None:
    open_task(db, LABEL, votes_to_decide=1)
    items = add_items(db, "image", 2)
    author, checker = person(), person()
    for item in items:
        assert answer(author, "label", item, HINDI).status_code == 201
    first, second = queue(checker, "label")
    assert vote(checker, first["id"], "accept").status_code == 201
    assert vote(checker, second["id"], "change", text="यह एक बड़ा वाक्य है").status_code == 201

    mine = author.get("/api/v1/me").get_json()["tasks"]
    theirs = checker.get("/api/v1/me").get_json()["tasks"]

    assert mine["label"] == {
        "answers": 2, "accepted": 1, "pending": 0, "corrections": 0, "validations": 0,
    }  # fmt: skip
    assert theirs["label"] == {
        "answers": 1, "accepted": 0, "pending": 1, "corrections": 1, "validations": 2,
    }  # fmt: skip
    assert mine["transcribe"] == dict.fromkeys(mine["transcribe"], 0)
    assert author.get("/api/v1/me").get_json()["totals"]["recordings"] == 0  # speak's own
