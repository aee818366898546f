"""The rows an export reads, all from one consistent snapshot of the database.

`snapshot` opens a read-only REPEATABLE READ transaction, so the recordings, the speaker
count and the reports all describe the same moment however long the export takes. The
recordings are streamed through a server-side cursor: a language with millions of them
never sits in memory at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from app.db import describe_db_error
from app.errors import DatabaseUnavailable

STATUSES = ("accepted", "rejected", "pending")
FETCH_ROWS = 2000  # rows per round trip of the server-side cursor


@dataclass(frozen=True, slots=True)
class RecordingRow:
    """One recording with its sentence, votes and the demographics snapshot made with it."""

    public_id: uuid.UUID
    contributor_id: uuid.UUID
    sentence_id: int
    sentence: str
    status: str
    up_votes: int
    down_votes: int
    age_group: str | None
    gender: str | None
    mother_tongue: str | None
    state: str | None  # the region's name
    duration_ms: int | None
    snr_db: float | None
    media_key: str
    media_type: str | None
    report_count: int  # distinct reporters of the recording
    sentence_report_count: int  # distinct reporters of its sentence


@dataclass(frozen=True, slots=True)
class ReportRow:
    """Reports on one target for one reason (dismissed reports left out)."""

    target: str  # "recording" | "sentence"
    sentence_id: int
    sentence: str
    public_id: uuid.UUID | None  # the recording, for target "recording"
    contributor_id: uuid.UUID | None  # its speaker, for target "recording"
    media_key: str | None
    reason: str
    reports: int  # distinct reporters


_RECORDINGS = """
SELECT c.public_id, c.contributor_id, c.item_id AS sentence_id, d.text AS sentence, c.status,
       c.accept_count AS up_votes, c.reject_count AS down_votes,
       c.age_group, c.gender, c.mother_tongue, r.name AS state,
       c.duration_ms, c.snr_db, c.media_key, c.media_type,
       c.report_count, d.report_count AS sentence_report_count
  FROM contributions c
  JOIN dataset_rows d ON d.id = c.item_id
  LEFT JOIN regions r ON r.code = c.region_code
 WHERE c.language_code = %(language)s AND c.kind = 'recording' AND c.media_key IS NOT NULL
   AND c.status <> 'removed'  -- removed by an operator after reports: never published
 ORDER BY c.status, c.created_at, c.id
"""

_SPEAKERS = """
SELECT count(DISTINCT contributor_id) AS speakers
  FROM contributions
 WHERE language_code = %(language)s AND kind = 'recording' AND media_key IS NOT NULL
   AND status <> 'removed'
"""

_REPORTS = """
SELECT 'recording' AS target, d.id AS sentence_id, d.text AS sentence, c.public_id,
       c.contributor_id, c.media_key, rp.reason, count(DISTINCT rp.reporter_id) AS reports
  FROM reports rp
  JOIN contributions c ON c.id = rp.contribution_id
  JOIN dataset_rows d ON d.id = c.item_id
 WHERE c.language_code = %(language)s AND c.kind = 'recording' AND c.media_key IS NOT NULL
   AND rp.status <> 'dismissed' AND c.status <> 'removed'
 GROUP BY d.id, d.text, c.id, c.public_id, c.contributor_id, c.media_key, rp.reason
UNION ALL
SELECT 'sentence', d.id, d.text, NULL, NULL, NULL, rp.reason, count(DISTINCT rp.reporter_id)
  FROM reports rp
  JOIN dataset_rows d ON d.id = rp.item_id
 WHERE d.language_code = %(language)s AND rp.status <> 'dismissed'
 GROUP BY d.id, d.text, rp.reason
 ORDER BY target, sentence_id, public_id, reason
"""


@contextmanager
def snapshot(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection inside a read-only REPEATABLE READ transaction, without a statement
    timeout (an export of millions of rows reads for a while); rolled back at the end.

    Raises DatabaseUnavailable when the database cannot be reached.
    """
    try:
        conn = psycopg.connect(database_url, row_factory=dict_row)
    except psycopg.OperationalError as exc:
        reason = describe_db_error(exc)
        raise DatabaseUnavailable(f"cannot connect to the database: {reason}") from None
    with conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute("SET LOCAL statement_timeout = 0")
        yield conn
        conn.rollback()


def find_language(conn: psycopg.Connection[Any], code: str) -> dict[str, Any] | None:
    """The language's code, name and native name, or None if there is no such language."""
    row: dict[str, Any] | None = conn.execute(
        "SELECT code, name, native_name FROM languages WHERE code = %(code)s", {"code": code}
    ).fetchone()
    return row


def known_languages(conn: psycopg.Connection[Any]) -> list[str]:
    """Every language code, sorted (for the message about an unknown one)."""
    return [row["code"] for row in conn.execute("SELECT code FROM languages ORDER BY code")]


def count_speakers(conn: psycopg.Connection[Any], language: str) -> int:
    """Distinct people with a recording (of any status) in the language."""
    row = conn.execute(_SPEAKERS, {"language": language}).fetchone()
    return int(row["speakers"]) if row else 0


def iter_recordings(conn: psycopg.Connection[Any], language: str) -> Iterator[RecordingRow]:
    """Every recording of the language, by status then in recording order, streamed through
    a server-side cursor (the caller's transaction must stay open while iterating)."""
    with conn.cursor(name="export_recordings", row_factory=class_row(RecordingRow)) as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(_RECORDINGS, {"language": language})
        yield from cursor


def read_reports(conn: psycopg.Connection[Any], language: str) -> list[ReportRow]:
    """Open and resolved reports on the language's recordings and sentences, one row per
    target and reason. Notes and reporters are never read: they are not published."""
    with conn.cursor(row_factory=class_row(ReportRow)) as cursor:
        return cursor.execute(_REPORTS, {"language": language}).fetchall()
