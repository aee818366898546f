"""Speak: choosing sentences to record, saving recordings, skipping sentences."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from app.audio import AudioReport
from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import Conflict, NotFound
from app.languages.service import LanguageClosed
from app.storage import Storage
from app.storage.keys import recording_key

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


class UnknownLanguage(NotFound):
    code = "unknown_language"


class UnknownItem(NotFound):
    code = "unknown_item"


class AlreadyRecorded(Conflict):
    code = "already_recorded"


def get_language(conn: Conn, code: str) -> dict[str, Any]:
    """The active language `code`; raises UnknownLanguage."""
    if not _LANGUAGE_CODE.fullmatch(code):
        raise UnknownLanguage(f"There is no language with code {code[:20]!r}.")
    row = conn.execute(
        "SELECT code, name, native_name, script, direction, max_recordings_per_item"
        " FROM languages WHERE code = %s AND is_active",
        (code,),
    ).fetchone()
    if row is None:
        raise UnknownLanguage(f"There is no language with code '{code[:20]}'.")
    return row


# Fewest recordings first, randomised among equals. For each recording count from the lowest
# there is up to the cap, two walks of the index (language, kind, contribution_count, id) from
# a random pivot id, one above it and one below, each stopping after `count` rows: the cost is
# that of reading a few rows per walk, however many sentences there are.
# Why this shape: one walk over all counts (`contribution_count < cap AND id >= pivot`) cannot
# start at the pivot, so it read every entry of the lowest count below the pivot first: half
# the language's sentences once most have the same count, as fewest-first makes them (5 ms at
# 250k sentences). `k` names only indexed columns, so each walk is an index-only scan; the
# row's text and report count are read for the rows the walk keeps (`OFFSET 0` keeps that
# lookup a per-row nested loop; flattened, the planner preferred walking the primary key).
# The bounds are written on (contribution_count, id) together, which only this index can
# serve: with a plain `id >= pivot` the planner may walk the primary key from the pivot
# instead (it did on a table with many fresh updates), which is long when the level is
# sparse. `count <= n AND (count, id) >= (n, pivot)` is `count = n AND id >= pivot` in a
# form that starts the walk at (n, pivot) and ends it at the level's end.
# The levels are a constant series filtered, not generate_series(lowest, cap - 1): with
# computed bounds the planner guessed 1,000 levels, judged the generic plan of the prepared
# statement too costly and planned every execution afresh (0.6 ms, more than running it);
# for the same reason each walk stops at MAX_PICK rows, a constant, and only the final LIMIT
# is the request's count.
MAX_PICK = 20
_PICK_SENTENCES = """
WITH bounds AS (
    SELECT min(id) AS lo, max(id) AS hi FROM dataset_rows
     WHERE language_code = %(language)s AND kind = 'sentence'
), pivot AS (
    SELECT coalesce(lo + floor(random() * (hi - lo + 1))::bigint, 0) AS id FROM bounds
), lowest AS (
    SELECT coalesce(min(contribution_count), 0) AS n FROM dataset_rows
     WHERE language_code = %(language)s AND kind = 'sentence' AND is_active
), candidates AS (
    SELECT picked.*
      FROM generate_series(0, 99) AS level(n)  -- every possible cap: CHECK (... BETWEEN 1 AND 100)
     CROSS JOIN LATERAL (
        (SELECT k.id, x.text, k.contribution_count, 0 AS part
           FROM dataset_rows k
          CROSS JOIN LATERAL (SELECT d.text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = 'sentence' AND k.is_active
            AND k.contribution_count <= level.n
            AND (k.contribution_count, k.id) >= (level.n, (SELECT id FROM pivot))
            AND NOT EXISTS (SELECT 1 FROM contributions c
                             WHERE c.contributor_id = %(me)s AND c.item_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM skips s
                             WHERE s.contributor_id = %(me)s AND s.item_id = k.id)
          ORDER BY k.contribution_count, k.id
          LIMIT 20)  -- MAX_PICK: a constant, so the prepared statement's generic plan fits
        UNION ALL
        (SELECT k.id, x.text, k.contribution_count, 1 AS part
           FROM dataset_rows k
          CROSS JOIN LATERAL (SELECT d.text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s
                              OFFSET 0) x
          WHERE k.language_code = %(language)s AND k.kind = 'sentence' AND k.is_active
            AND k.contribution_count = level.n
            AND (k.contribution_count, k.id) < (level.n, (SELECT id FROM pivot))
            AND NOT EXISTS (SELECT 1 FROM contributions c
                             WHERE c.contributor_id = %(me)s AND c.item_id = k.id)
            AND NOT EXISTS (SELECT 1 FROM skips s
                             WHERE s.contributor_id = %(me)s AND s.item_id = k.id)
          ORDER BY k.contribution_count, k.id
          LIMIT 20)  -- MAX_PICK: a constant, so the prepared statement's generic plan fits
     ) AS picked
     WHERE level.n >= (SELECT n FROM lowest) AND level.n < %(cap)s
)
SELECT id, text FROM candidates ORDER BY contribution_count, part, id LIMIT %(count)s
"""


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
    if not 1 <= count <= MAX_PICK:
        raise ValueError(f"count must be 1..{MAX_PICK}, not {count}")
    return conn.execute(
        _PICK_SENTENCES,
        {
            "language": language["code"],
            "cap": language["max_recordings_per_item"],
            "report_limit": report_limit,
            "me": contributor_id or uuid.UUID(int=0),
            "count": count,
        },
    ).fetchall()


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
_SENTENCE_TO_RECORD = """
SELECT d.id, d.language_code, d.text, d.is_active, d.contribution_count, d.report_count,
       l.is_active AS language_open, l.max_recordings_per_item AS cap
  FROM dataset_rows d JOIN languages l ON l.code = d.language_code
 WHERE d.id = %s AND d.kind = 'sentence'
"""


def get_sentence(conn: Conn, item_id: int, *, report_limit: int | None = None) -> dict[str, Any]:
    """The sentence `item_id` if it may be recorded now. Raises UnknownItem (missing or
    retired), LanguageClosed, SentenceFull (at its language's cap) and, when `report_limit`
    is given, SentenceReported (hidden by reports)."""
    row = conn.execute(_SENTENCE_TO_RECORD, (item_id,)).fetchone()
    check_sentence_open(row, item_id, report_limit=report_limit)
    assert row is not None
    return row


def check_sentence_open(
    row: dict[str, Any] | None, item_id: int, *, report_limit: int | None
) -> None:
    """Raise the refusal that applies to this sentence row (see `get_sentence`), if any."""
    if row is None or not row["is_active"]:
        raise UnknownItem(f"There is no sentence with id {item_id} to record.")
    if not row["language_open"]:
        raise LanguageClosed("This language is not taking new recordings at the moment.")
    if row["contribution_count"] >= row["cap"]:
        raise SentenceFull(
            "This sentence has all the recordings it needs. Please record another one."
        )
    if report_limit is not None and row["report_count"] >= report_limit:
        raise SentenceReported("This sentence is being reviewed. Please record another one.")


def skip_sentence(conn: Conn, contributor_id: uuid.UUID, item_id: int) -> None:
    """Remember that this person does not want to record `item_id` (idempotent)."""
    row = conn.execute(
        "SELECT 1 FROM dataset_rows WHERE id = %s AND kind = 'sentence' AND is_active", (item_id,)
    ).fetchone()
    if row is None:
        raise UnknownItem(f"There is no sentence with id {item_id} to skip.")
    ensure_contributor(conn, contributor_id)
    conn.execute(
        "INSERT INTO skips (contributor_id, item_id) VALUES (%s, %s)"
        " ON CONFLICT (contributor_id, item_id) WHERE item_id IS NOT NULL DO NOTHING",
        (contributor_id, item_id),
    )


def find_recording_by_key(
    conn: Conn, contributor_id: uuid.UUID, key: str, item_id: int | None = None
) -> dict[str, Any] | None:
    """The recording this person already made with idempotency key `key`, if any. Raises
    IdempotencyConflict when that recording is of another sentence than `item_id`."""
    row = conn.execute(_FIND_BY_KEY, (contributor_id, key)).fetchone()
    if row is not None and item_id is not None and row["item_id"] != item_id:
        raise IdempotencyConflict(
            "This upload's idempotency key was already used for another sentence. "
            "Use a new key for each recording."
        )
    return row


def check_not_recorded(conn: Conn, contributor_id: uuid.UUID, item_id: int) -> None:
    """Raise AlreadyRecorded if this person has a recording of `item_id`."""
    row = conn.execute(_RECORDED_BY, (contributor_id, item_id)).fetchone()
    if row is not None:
        raise AlreadyRecorded("You have already recorded this sentence. Thank you!")


_RECORDING_COLUMNS = """
SELECT public_id::text AS id, item_id, language_code AS language, duration_ms,
       CASE WHEN status = 'removed' THEN 'rejected' ELSE status END AS status
  FROM contributions
"""
_FIND_BY_KEY = _RECORDING_COLUMNS + " WHERE contributor_id = %s AND idempotency_key = %s"
_RECORDED_BY = "SELECT 1 FROM contributions WHERE contributor_id = %s AND item_id = %s"
# The rules, at the write: the sentence's row is counted only while it is active, its
# language open, its count under the cap and it is not hidden by reports. The UPDATE takes the
# row's lock, so concurrent uploads of one sentence take turns and each sees the count the
# previous one left: with one slot left, exactly one of them gets it.
_COUNT_RECORDING = """
UPDATE dataset_rows d SET contribution_count = d.contribution_count + 1
  FROM languages l
 WHERE d.id = %(item_id)s AND l.code = d.language_code
   AND d.is_active AND l.is_active
   AND d.contribution_count < l.max_recordings_per_item
   AND d.report_count < %(report_limit)s
RETURNING d.id
"""

_INSERT_RECORDING = """
INSERT INTO contributions (
    public_id, contributor_id, item_id, language_code, kind, idempotency_key, media_key,
    media_type, size_bytes, duration_ms, snr_db, audio_measures, device, browser,
    age_group, gender, mother_tongue, region_code)
SELECT %(public_id)s, p.id, %(item_id)s, %(language)s, 'recording', %(key)s, %(media_key)s,
       %(media_type)s, %(size)s, %(duration_ms)s, %(snr_db)s, %(measures)s, %(device)s, %(browser)s,
       p.age_group, p.gender, p.mother_tongue, p.region_code
  FROM contributors p WHERE p.id = %(contributor)s
RETURNING public_id::text AS id, item_id, language_code AS language, duration_ms, status
"""


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


def save_recording(conn: Conn, storage: Storage, new: NewRecording) -> tuple[dict[str, Any], bool]:
    """Store the audio, then its row (with a snapshot of the person's demographics) and the
    item's count, in that order; return (recording, created).

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
                now = conn.execute(_SENTENCE_TO_RECORD, (new.sentence["id"],)).fetchone()
                check_sentence_open(now, new.sentence["id"], report_limit=new.report_limit)
                raise SentenceFull("This sentence has all the recordings it needs.")  # a race
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
    except psycopg.errors.UniqueViolation as exc:
        storage.delete(key)
        existing = find_recording_by_key(
            conn, new.contributor_id, new.idempotency_key, new.sentence["id"]
        )
        if existing is not None:
            return existing, False
        raise AlreadyRecorded("You have already recorded this sentence. Thank you!") from exc
    except BaseException:
        storage.delete(key)
        raise
    assert row is not None
    return row, True


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
