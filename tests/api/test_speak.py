"""Speak through the API: choosing sentences, uploading recordings, skipping."""

from __future__ import annotations

import io
import os
from collections import Counter

import av
import numpy as np
import pytest

from tests.api.conftest import (
    clip,
    count_rows,
    error_of,
    new_person,
    record,
    silence,
    stored_objects,
    upload,
    wav_bytes,
)

# The samples of a real speech clip (16 kHz mono 16-bit WAV after its 44-byte header).
SPEECH = np.frombuffer(clip("hi_2.wav")[44:], "<i2") / 32768


def sentence_ids(client, language: str = "hi", count: int = 5) -> list[int]:
    response = client.get(f"/api/v1/languages/{language}/sentences?count={count}")
    assert response.status_code == 200
    return [s["id"] for s in response.get_json()["sentences"]]


def test_a_person_never_gets_a_sentence_they_recorded_or_skipped(person, add_sentences) -> None:
    add_sentences(6)
    speaker = person()
    first = sentence_ids(speaker, count=3)
    record(speaker, first[0])
    assert speaker.post(f"/api/v1/sentences/{first[1]}/skip").status_code == 200

    later = sentence_ids(speaker, count=20)

    assert first[0] not in later and first[1] not in later
    assert len(later) == 4


def test_fewest_recordings_come_first_and_the_cap_is_honoured(person, add_sentences, db) -> None:
    ids = add_sentences(4)
    db.execute("UPDATE languages SET max_recordings_per_item = 2 WHERE code = 'hi'")
    db.execute("UPDATE dataset_rows SET contribution_count = 1 WHERE id = ANY(%s)", (ids[:2],))
    db.execute("UPDATE dataset_rows SET contribution_count = 2 WHERE id = %s", (ids[3],))

    got = sentence_ids(person(), count=20)

    assert got[0] == ids[2]  # 0 recordings first
    assert sorted(got[1:]) == sorted(ids[:2])  # then the ones with 1
    assert ids[3] not in got  # at the cap


def test_equal_sentences_come_in_varied_order_for_concurrent_people(person, add_sentences) -> None:
    add_sentences(30)
    firsts = Counter(sentence_ids(person(), count=1)[0] for _ in range(20))
    assert len(firsts) > 3


def test_a_language_with_nothing_left_says_so(person, add_sentences) -> None:
    (only,) = add_sentences(1)
    speaker = person()
    record(speaker, only)

    body = speaker.get("/api/v1/languages/hi/sentences").get_json()

    assert body == {"language": "hi", "sentences": [], "exhausted": True}


@pytest.mark.parametrize("name", ["hi_1.wav", "hi_1.webm", "en_1.ogg"])
def test_browser_formats_are_accepted_and_stored_as_sent(
    app, person, add_sentences, db, name
) -> None:
    (item,) = add_sentences(1)
    data = clip(name)

    response = upload(person(), item, data)

    assert response.status_code == 201, response.get_json()
    row = db.execute("SELECT * FROM contributions").fetchone()
    assert row["status"] == "pending" and row["duration_ms"] > 1000
    assert row["snr_db"] is not None and row["media_key"].startswith("recordings/hi/")
    stored = app.extensions["crowdsource.storage"].get(row["media_key"])
    assert stored == data
    with av.open(io.BytesIO(stored)) as container:
        assert container.streams.audio
    assert (
        db.execute("SELECT contribution_count FROM dataset_rows").fetchone()["contribution_count"]
        == 1
    )


def test_the_duration_comes_from_the_audio_not_the_client(person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    upload(person(), item, clip("upstream_test.wav"))
    assert (
        abs(db.execute("SELECT duration_ms FROM contributions").fetchone()["duration_ms"] - 4200)
        < 150
    )


def test_the_same_idempotency_key_returns_the_first_result(app, person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    speaker = person()
    first = upload(speaker, item, clip("hi_1.wav"), key="take-0001-abc")
    again = upload(speaker, item, clip("hi_1.wav"), key="take-0001-abc")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["recording"] == first.get_json()["recording"]
    assert count_rows(db, "contributions") == 1
    assert len(stored_objects(app)) == 1


def test_a_second_take_of_a_recorded_sentence_is_refused(app, person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    speaker = person()
    record(speaker, item)

    assert error_of(upload(speaker, item, clip("hi_2.wav"))) == (409, "already_recorded")
    assert count_rows(db, "contributions") == 1 and len(stored_objects(app)) == 1


@pytest.mark.parametrize(
    ("audio", "expected"),
    [
        (silence(), (422, "silent")),
        (wav_bytes(SPEECH[:6_400]), (422, "too_short")),
        (b"this is not audio at all, just text " * 40, (415, "not_audio")),
        (clip("hi_1.webm")[:300], (415, "not_audio")),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(3000), (415, "not_audio")),
    ],
    ids=["silent", "too-short", "text", "truncated-webm", "png"],
)
def test_unusable_audio_is_refused_with_a_reason_and_nothing_is_stored(
    app, person, add_sentences, db, audio, expected
) -> None:
    (item,) = add_sentences(1)
    speaker = person()

    response = upload(speaker, item, audio)

    assert error_of(response) == expected
    assert count_rows(db, "contributions") == 0
    assert stored_objects(app) == []
    mine = speaker.get("/api/v1/me/contributions").get_json()["contributions"]
    assert [(c["status"], c["reason"]) for c in mine] == [
        ("refused", response.get_json()["error"]["message"])
    ]


def test_a_recording_longer_than_the_limit_is_refused(app, person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    long_take = wav_bytes(np.tile(SPEECH, 4))
    assert error_of(upload(person(), item, long_take)) == (422, "too_long")
    assert count_rows(db, "contributions") == 0 and stored_objects(app) == []


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"idempotency_key": "k" * 10}, (400, "missing_field")),
        ({"item_id": "abc", "idempotency_key": "k" * 10}, (422, "invalid_field")),
        ({"item_id": "1.5", "idempotency_key": "k" * 10}, (422, "invalid_field")),
        ({"item_id": "999999", "idempotency_key": "k" * 10}, (404, "unknown_item")),
        ({"item_id": "ITEM"}, (400, "missing_field")),
        ({"item_id": "ITEM", "idempotency_key": "short"}, (422, "invalid_field")),
        ({"item_id": "ITEM", "idempotency_key": "bad key with spaces"}, (422, "invalid_field")),
    ],
)
def test_bad_upload_fields_are_refused_and_nothing_is_written(
    app, person, add_sentences, db, form, expected
) -> None:
    (item,) = add_sentences(1)
    data = {k: (str(item) if v == "ITEM" else v) for k, v in form.items()}
    data["audio"] = (io.BytesIO(clip("hi_1.wav")), "a.wav")

    response = person().post("/api/v1/recordings", data=data, content_type="multipart/form-data")

    assert error_of(response) == expected
    assert count_rows(db, "contributions") == 0 and count_rows(db, "upload_refusals") == 0
    assert stored_objects(app) == []


def test_missing_and_empty_audio_files_are_refused(app, person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    assert error_of(upload(person(), item, None)) == (400, "missing_field")
    assert error_of(upload(person(), item, b"")) == (400, "empty_upload")
    assert count_rows(db, "contributions") == 0 and stored_objects(app) == []


def test_an_oversized_upload_is_refused_with_413(app, person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    response = upload(person(), item, os.urandom(6 * 1024 * 1024))
    assert error_of(response) == (413, "too_large")
    assert count_rows(db, "contributions") == 0 and stored_objects(app) == []


def test_unknown_language_is_404(person) -> None:
    assert error_of(person().get("/api/v1/languages/xx/sentences")) == (404, "unknown_language")
    assert error_of(person().get("/api/v1/languages/hi/sentences?count=0"))[0] == 422
    assert error_of(person().get("/api/v1/languages/hi/sentences?count=five"))[0] == 422


def test_skipping_is_idempotent_and_unknown_sentences_are_404(person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    speaker = person()
    assert speaker.post(f"/api/v1/sentences/{item}/skip").status_code == 200
    assert speaker.post(f"/api/v1/sentences/{item}/skip").status_code == 200
    assert count_rows(db, "skips") == 1
    assert error_of(speaker.post("/api/v1/sentences/424242/skip")) == (404, "unknown_item")


def test_a_forged_cookie_is_refused_and_writes_nothing(client, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    client.set_cookie("cs_id", "forged.value.here")

    response = upload(client, item, clip("hi_1.wav"))

    assert error_of(response) == (401, "invalid_session")
    assert "cs_id=;" in response.headers.get("Set-Cookie", "")
    assert count_rows(db, "contributors") == 0 and count_rows(db, "contributions") == 0


def test_the_session_cookie_is_signed_httponly_and_lax(app) -> None:
    response = new_person(app, session=False).post("/api/v1/session")
    assert response.status_code == 201
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("cs_id=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests; Secure is set behind TLS


def test_nul_characters_anywhere_are_a_client_error(person, add_sentences, db) -> None:
    (item,) = add_sentences(1)
    visitor = person()
    assert error_of(visitor.get("/api/v1/languages/a%00b/sentences")) == (400, "invalid_input")
    assert error_of(visitor.get("/api/v1/languages/h%00/clips")) == (400, "invalid_input")
    note = {"target": "sentence", "id": item, "reason": "other", "note": "bad\x00note"}
    assert error_of(visitor.post("/api/v1/reports", json=note)) == (400, "invalid_input")
    profile = {"mother_tongue": "h\x00i", "region_code": "\x00"}
    assert error_of(visitor.put("/api/v1/me/profile", json=profile))[0] in (400, 422)
    assert count_rows(db, "reports") == 0
