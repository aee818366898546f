"""Speak: choosing sentences to record, saving recordings, skipping sentences."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from app.audio import AudioReport
from app.contribute.items import pick_items, read_item, skip_item
from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import Conflict, NotFound
from app.i18n.text import Text
from app.languages.service import LanguageClosed
from app.progress.service import record_progress
from app.storage import Storage
from app.storage.keys import recording_key
from app.tasks import SPEAK

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


class UnknownLanguage(NotFound):
    code = "unknown_language"


class UnknownItem(NotFound):
    code = "unknown_item"


class AlreadyRecorded(Conflict):
    code = "already_recorded"


_ALREADY_RECORDED = Text("You have already recorded this sentence. Thank you!")


def get_language(conn: Conn, code: str) -> dict[str, Any]:
    """The active language `code`; raises UnknownLanguage."""
    if not _LANGUAGE_CODE.fullmatch(code):
        raise UnknownLanguage(_no_language(code))
    row = conn.execute(
        "SELECT code, name, native_name, script, direction, max_recordings_per_item"
        " FROM languages WHERE code = %s AND is_active",
        (code,),
    ).fetchone()
    if row is None:
        raise UnknownLanguage(_no_language(code))
    return row


def _no_language(code: str) -> Text:
    # Translators: {code} is the code asked for, in quotes (e.g. 'xx').
    return Text("There is no language with code {code}.", code=repr(code[:20]))


# Speak's statements are built from the task templates (app/tasks/statements.py, where the
# reasons for the picking query's shape are written down); the names stay, for the plan tests.
_PICK_SENTENCES = SPEAK.sql.pick_items


def pick_sentences_to_record(
    conn: Conn,
    language: dict[str, Any],
    contributor_id: uuid.UUID | None,
    *,
    count: int,
    report_limit: int,
) -> list[dict[str, Any]]:
    """Up to `count` (at most MAX_PICK) sentences for this person: active, under the language's
    recording cap, not recorded or skipped by them, not reported by `report_limit` people;
    fewest recordings first. Raises ValueError for a count out of range."""
    return pick_items(
        conn, SPEAK, language["code"], contributor_id,
        cap=language["max_recordings_per_item"], count=count, report_limit=report_limit,
    )  # fmt: skip


class SentenceFull(Conflict):
    code = "sentence_full"


class SentenceReported(Conflict):
    code = "sentence_reported"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


# Everything that decides whether a sentence may be recorded now, in one row: the checks
# below say which rule refused it. `save_recording` applies the same rules again in the
# statement that counts the recording, which is what makes them hold under concurrency; this
# read only lets a refusal come before the audio is decoded and stored.
_SENTENCE_TO_RECORD = SPEAK.sql.item_to_contribute


def get_sentence(conn: Conn, item_id: int, *, report_limit: int | None = None) -> dict[str, Any]:
    """The sentence `item_id` if it may be recorded now. Raises UnknownItem (missing or
    retired), LanguageClosed, SentenceFull (at its language's cap) and, when `report_limit`
    is given, SentenceReported (hidden by reports)."""
    row = read_item(conn, SPEAK, item_id)
    check_sentence_open(row, item_id, report_limit=report_limit)
    assert row is not None
    return row


def check_sentence_open(
    row: dict[str, Any] | None, item_id: int, *, report_limit: int | None
) -> None:
    """Raise the refusal that applies to this sentence row (see `get_sentence`), if any."""
    if row is None or not row["is_active"]:
        raise UnknownItem(Text("There is no sentence with id {id} to record.", id=item_id))
    if not row["language_open"]:
        raise LanguageClosed(Text("This language is not taking new recordings at the moment."))
    if row["contribution_count"] >= row["cap"]:
        raise SentenceFull(
            Text("This sentence has all the recordings it needs. Please record another one.")
        )
    if report_limit is not None and row["report_count"] >= report_limit:
        raise SentenceReported(Text("This sentence is being reviewed. Please record another one."))


def skip_sentence(conn: Conn, contributor_id: uuid.UUID, item_id: int) -> None:
    """Remember that this person does not want to record `item_id` (idempotent); raises
    UnknownItem."""
    if not skip_item(conn, SPEAK, contributor_id, item_id):
        raise UnknownItem(Text("There is no sentence with id {id} to skip.", id=item_id))


def find_recording_by_key(
    conn: Conn, contributor_id: uuid.UUID, key: str, item_id: int | None = None
) -> dict[str, Any] | None:
    """The recording this person already made with idempotency key `key`, if any. Raises
    IdempotencyConflict when that recording is of another sentence than `item_id`."""
    row = conn.execute(_FIND_BY_KEY, (contributor_id, key)).fetchone()
    if row is not None and item_id is not None and row["item_id"] != item_id:
        raise IdempotencyConflict(
            Text(
                "This upload's idempotency key was already used for another sentence. "
                "Use a new key for each recording."
            )
        )
    return row


def check_not_recorded(conn: Conn, contributor_id: uuid.UUID, item_id: int) -> None:
    """Raise AlreadyRecorded if this person has a recording of `item_id`."""
    row = conn.execute(_RECORDED_BY, (contributor_id, item_id)).fetchone()
    if row is not None:
        raise AlreadyRecorded(_ALREADY_RECORDED)


_RECORDING_COLUMNS = """
SELECT public_id::text AS id, item_id, language_code AS language, duration_ms,
       CASE WHEN status = 'removed' THEN 'rejected' ELSE status END AS status
  FROM contributions
"""
_FIND_BY_KEY = _RECORDING_COLUMNS + " WHERE contributor_id = %s AND idempotency_key = %s"
_RECORDED_BY = "SELECT 1 FROM contributions WHERE contributor_id = %s AND item_id = %s"
# The rules, at the write (see the template): active, language open, under the cap, not
# hidden; the UPDATE takes the row's lock, so the last slot goes to exactly one upload.
_COUNT_RECORDING = SPEAK.sql.count_contribution
_INSERT_RECORDING = SPEAK.sql.insert_upload


@dataclass(frozen=True)
class NewRecording:
    contributor_id: uuid.UUID
    sentence: dict[str, Any]
    idempotency_key: str
    data: bytes
    report: AudioReport
    device: str | None
    browser: str | None
    report_limit: int
    time_zone: str | None = None  # as the browser reported it (app/progress/zones.py)


def save_recording(conn: Conn, storage: Storage, new: NewRecording) -> tuple[dict[str, Any], bool]:
    """Store the audio, then its row (with a snapshot of the person's demographics) and the
    item's count, in that order; return (recording, created).

    A new recording is counted toward the person's progress in the same transaction; the
    badges and milestones it earned are in the row's "achievements" (app/progress).
    A failed insert removes the object. A concurrent request with the same idempotency key
    loses the race quietly and returns the winner's recording with created=False.
    Raises AlreadyRecorded if the person recorded this sentence under another key, and the
    refusals of `get_sentence` when a rule no longer lets the sentence be recorded (checked in
    the statement that counts the recording, so they hold against concurrent uploads).
    """
    public_id = uuid.uuid4()
    key = recording_key(new.sentence["language_code"], public_id, new.report.extension)
    storage.put(key, new.data, content_type=new.report.mime_type)
    try:
        with conn.transaction():
            counted = conn.execute(
                _COUNT_RECORDING,
                {"item_id": new.sentence["id"], "report_limit": new.report_limit},
            ).fetchone()
            if counted is None:
                now = read_item(conn, SPEAK, new.sentence["id"])
                check_sentence_open(now, new.sentence["id"], report_limit=new.report_limit)
                raise SentenceFull(Text("This sentence has all the recordings it needs."))  # a race
            ensure_contributor(conn, new.contributor_id)
            row = conn.execute(
                _INSERT_RECORDING,
                {
                    "public_id": public_id,
                    "contributor": new.contributor_id,
                    "item_id": new.sentence["id"],
                    "language": new.sentence["language_code"],
                    "key": new.idempotency_key,
                    "media_key": key,
                    "media_type": new.report.mime_type,
                    "size": len(new.data),
                    "duration_ms": new.report.duration_ms,
                    "snr_db": new.report.snr_db,
                    "measures": Jsonb(new.report.measures()),
                    "device": new.device,
                    "browser": new.browser,
                },
            ).fetchone()
            assert row is not None
            awarded = record_progress(
                conn, new.contributor_id, language=new.sentence["language_code"],
                task=SPEAK.name, category="contribute", time_zone=new.time_zone,
            )  # fmt: skip
    except psycopg.errors.UniqueViolation as exc:
        storage.delete(key)
        existing = find_recording_by_key(
            conn, new.contributor_id, new.idempotency_key, new.sentence["id"]
        )
        if existing is not None:
            return existing, False
        raise AlreadyRecorded(_ALREADY_RECORDED) from exc
    except BaseException:
        storage.delete(key)
        raise
    return {**row, "achievements": awarded}, True


def record_refusal(
    conn: Conn,
    contributor_id: uuid.UUID,
    sentence: dict[str, Any],
    idempotency_key: str,
    *,
    reason_code: str,
    message: str,
    size_bytes: int,
) -> None:
    """Remember an upload the audio check refused, for the person's "my contributions"."""
    ensure_contributor(conn, contributor_id)
    conn.execute(
        """INSERT INTO upload_refusals (contributor_id, item_id, language_code, idempotency_key,
                                        reason_code, message, size_bytes)
           VALUES (%s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (contributor_id, idempotency_key) DO NOTHING""",
        (contributor_id, sentence["id"], sentence["language_code"], idempotency_key,
         reason_code, message[:500], size_bytes),
    )  # fmt: skip
