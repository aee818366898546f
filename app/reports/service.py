"""Reports: an item (a sentence, a clip, an image, a prompt) or a contribution (a recording,
a transcript, a translation, a label) flagged as unfit; enough trusted reporters hide it.

A report counts toward hiding only when its reporter has a track record (`has_track_record`):
a script's fresh sessions can report all they like, the reports are kept for an operator
to read (`crowdsource reports list --all`) and hide nothing. What enough counted reports hid
waits in the review queue until an operator restores or removes it (app/reports/review.py).

What a reporter is told is a `Text`, answered in their language; a report's `reason` is stored
as its code (offensive, mismatch...) and never as words, so nothing stored needs translating.
The operator's side (app/reports/review.py, `crowdsource reports`) speaks English.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import CrowdsourceError, NotFound
from app.i18n.text import Text
from app.tasks import TASKS

# The reasons a report may give: every task's (migrations 0002 and 0010 CHECK the same).
REASONS = tuple(dict.fromkeys(reason for task in TASKS for reason in task.report_reasons))
# What may be reported: speak's names, and the general ones of every task (an item to work on,
# a contribution to check) that name the same rows.
TARGETS = ("sentence", "recording", "item", "contribution")
ITEM_TARGETS = ("sentence", "item")


class NoteRequired(CrowdsourceError):
    code = "note_required"
    http_status = 422


# "There is no ... with id ...", per target ({id} is the id given, quoted when it is not one).
_NO_TARGET = {
    "sentence": Text("There is no sentence with id {id}."),
    "item": Text("There is no item with id {id}."),
    "recording": Text("There is no recording with id {id}."),
    "contribution": Text("There is no contribution with id {id}."),
}


def _not_found(target: str, value: Any, code: str) -> NotFound:
    return NotFound(Text(_NO_TARGET[target].msgid, id=value), code=code)


def file_report(
    conn: Conn,
    reporter_id: uuid.UUID,
    target: str,
    target_id: Any,
    reason: str,
    note: str | None,
) -> bool:
    """Record a report once per reporter and target; return True if it is new.

    Each new counted report (see the module's docstring) raises the target's report_count in
    the same transaction, so the queues can leave out what enough trusted people reported.
    Raises NotFound for an unknown target, NoteRequired when the reason is "other" without a
    note.
    """
    if reason == "other" and not note:
        raise NoteRequired(Text("Please tell us briefly what is wrong."), field="note")
    ensure_contributor(conn, reporter_id)
    if target in ITEM_TARGETS:
        column, table, row_id = "item_id", "dataset_rows", _sentence_id(conn, target_id, target)
    else:
        column, table = "contribution_id", "contributions"
        row_id = _recording_id(conn, target_id, target)
    counted = has_track_record(conn, reporter_id)
    inserted = conn.execute(
        f"INSERT INTO reports (reporter_id, {column}, reason, note, counted)"
        " VALUES (%s, %s, %s, %s, %s)"
        f" ON CONFLICT (reporter_id, {column}) WHERE {column} IS NOT NULL DO NOTHING RETURNING id",
        (reporter_id, row_id, reason, note, counted),
    ).fetchone()
    if inserted is None:
        return False
    if counted:
        conn.execute(f"UPDATE {table} SET report_count = report_count + 1 WHERE id = %s", (row_id,))
    return True


TRACK_RECORD_RECORDINGS = 3

_TRACK_RECORD = """
SELECT EXISTS (SELECT 1 FROM validator_standing
                WHERE validator_id = %(me)s AND state = 'counting' AND checks_agreed >= 1)
    OR (SELECT count(*) FROM (SELECT 1 FROM contributions
                               WHERE contributor_id = %(me)s AND status = 'accepted'
                               LIMIT %(recordings)s) x) >= %(recordings)s AS known
"""


def has_track_record(conn: Conn, contributor_id: uuid.UUID) -> bool:
    """True for a validator in good standing who has agreed on a hidden known-answer check,
    or for a speaker with TRACK_RECORD_RECORDINGS accepted recordings."""
    row = conn.execute(
        _TRACK_RECORD, {"me": contributor_id, "recordings": TRACK_RECORD_RECORDINGS}
    ).fetchone()
    return bool(row and row["known"])


def _sentence_id(conn: Conn, value: Any, target: str = "sentence") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise _not_found(target, repr(value), "unknown_item")
    row = conn.execute("SELECT id FROM dataset_rows WHERE id = %s", (value,)).fetchone()
    if row is None:
        raise _not_found(target, value, "unknown_item")
    return int(row["id"])


def _recording_id(conn: Conn, value: Any, target: str = "recording") -> int:
    code = "unknown_recording" if target == "recording" else "unknown_contribution"
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        raise _not_found(target, repr(value), code) from None
    row = conn.execute("SELECT id FROM contributions WHERE public_id = %s", (public_id,)).fetchone()
    if row is None:
        raise _not_found(target, value, code)
    return int(row["id"])
