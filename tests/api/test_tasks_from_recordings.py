"""Clips to transcribe made from accepted recordings (issue #18, ADR 0010 §2): made once, by
the operator's command and by the refresh; erasing the speaker takes them and the transcripts
others typed of them; removing the recording after reports takes the clip out of the queue."""

from __future__ import annotations

import uuid

import psycopg

from app.contribute.opening import items_from_recordings, made_from_recordings, set_task
from app.contributors.erase import erase_contributor
from app.reports.review import remove, restore
from app.tasks import TRANSCRIBE
from tests.api.conftest import count_rows, record
from tests.api.test_tasks import answer, queue, vote


def _accepted_recording(person, add_sentences, db: psycopg.Connection) -> tuple[object, str]:
    (sentence,) = add_sentences(1)
    speaker = person()
    recording = record(speaker, sentence)
    db.execute(
        "UPDATE contributions SET status = 'accepted', decided_at = now() WHERE public_id = %s",
        (recording,),
    )
    return speaker, recording


def test_accepted_recordings_become_clips_once(person, add_sentences, db) -> None:
    _, recording = _accepted_recording(person, add_sentences, db)
    set_task(db, TRANSCRIBE, "hi", from_recordings=True)

    assert made_from_recordings(db) == 1
    assert items_from_recordings(db, "hi") == 0  # once

    clip = db.execute(
        "SELECT d.kind, d.text, d.media_key, d.media_duration_ms, c.public_id::text AS recording,"
        "       s.text AS sentence, c.media_key AS recording_key, c.duration_ms"
        "  FROM dataset_rows d JOIN contributions c ON c.id = d.source_contribution_id"
        "  JOIN dataset_rows s ON s.id = c.item_id"
    ).fetchone()
    assert clip["recording"] == recording and clip["kind"] == "audio"
    assert clip["text"] == clip["sentence"]  # the sentence read is the reference
    assert (clip["media_key"], clip["media_duration_ms"]) == (
        clip["recording_key"], clip["duration_ms"],
    )  # fmt: skip


def test_erasing_the_speaker_takes_the_clip_and_its_transcripts(person, add_sentences, db) -> None:
    speaker, _ = _accepted_recording(person, add_sentences, db)
    set_task(db, TRANSCRIBE, "hi", from_recordings=True)
    made_from_recordings(db)
    clip = db.execute("SELECT id FROM dataset_rows WHERE kind = 'audio'").fetchone()["id"]
    typist, checker = person(), person()
    text = "वाक्य शून्य यह एक छोटा वाक्य है"
    stored = answer(typist, "transcribe", clip, text, confirmed=True)
    assert stored.status_code == 201, stored.get_json()
    db.execute("UPDATE clip_servings SET served_at = now() - interval '1 hour'")
    (pending,) = queue(checker, "transcribe")
    db.execute("UPDATE clip_servings SET served_at = now() - interval '1 hour'")
    assert vote(checker, pending["id"], "accept").status_code == 201

    keys = erase_contributor(db, uuid.UUID(str(speaker.contributor_id())))

    assert len(keys) == 1
    assert count_rows(db, "contributions") == 0  # the recording and the transcript of it
    assert (
        db.execute("SELECT count(*) AS n FROM dataset_rows WHERE kind = 'audio'").fetchone()["n"]
        == 0
    )
    assert count_rows(db, "validations") == 0


def test_a_removed_recording_takes_its_clip_out_and_a_restore_brings_it_back(
    person, add_sentences, db
) -> None:
    _, recording = _accepted_recording(person, add_sentences, db)
    set_task(db, TRANSCRIBE, "hi", from_recordings=True)
    made_from_recordings(db)

    def clip_active() -> bool:
        row = db.execute("SELECT is_active FROM dataset_rows WHERE kind = 'audio'").fetchone()
        return bool(row["is_active"])

    remove(db, "recording", recording)
    assert not clip_active()
    assert person().get("/api/v1/tasks/transcribe/languages/hi/items").get_json()["items"] == []
    restore(db, "recording", recording)
    assert clip_active()
