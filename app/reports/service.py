"""Reports: a sentence or a recording flagged as unfit; enough distinct reporters hide it."""

from __future__ import annotations

import uuid
from typing import Any

from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import CrowdsourceError, NotFound

REASONS = ("offensive", "wrong_language", "mismatch", "poor_audio", "grammar_or_spelling", "other")
TARGETS = ("sentence", "recording")


class NoteRequired(CrowdsourceError):
    code = "note_required"
    http_status = 422


def file_report(
    conn: Conn,
    reporter_id: uuid.UUID,
    target: str,
    target_id: Any,
    reason: str,
    note: str | None,
) -> bool:
    """Record a report once per reporter and target; return True if it is new.

    Each new report raises the target's report_count in the same transaction, so the queues
    can leave out what enough distinct people reported. Raises NotFound for an unknown target,
    NoteRequired when the reason is "other" without a note.
    """
    if reason == "other" and not note:
        raise NoteRequired("Please tell us briefly what is wrong.", field="note")
    ensure_contributor(conn, reporter_id)
    if target == "sentence":
        column, table, row_id = "item_id", "dataset_rows", _sentence_id(conn, target_id)
    else:
        column, table, row_id = "contribution_id", "contributions", _recording_id(conn, target_id)
    inserted = conn.execute(
        f"INSERT INTO reports (reporter_id, {column}, reason, note) VALUES (%s, %s, %s, %s)"
        f" ON CONFLICT (reporter_id, {column}) WHERE {column} IS NOT NULL DO NOTHING RETURNING id",
        (reporter_id, row_id, reason, note),
    ).fetchone()
    if inserted is None:
        return False
    conn.execute(f"UPDATE {table} SET report_count = report_count + 1 WHERE id = %s", (row_id,))
    return True


def _sentence_id(conn: Conn, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise NotFound(f"There is no sentence with id {value!r}.", code="unknown_item")
    row = conn.execute("SELECT id FROM dataset_rows WHERE id = %s", (value,)).fetchone()
    if row is None:
        raise NotFound(f"There is no sentence with id {value}.", code="unknown_item")
    return int(row["id"])


def _recording_id(conn: Conn, value: Any) -> int:
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        raise NotFound(
            f"There is no recording with id {value!r}.", code="unknown_recording"
        ) from None
    row = conn.execute("SELECT id FROM contributions WHERE public_id = %s", (public_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no recording with id {value}.", code="unknown_recording")
    return int(row["id"])
