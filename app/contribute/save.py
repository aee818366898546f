"""The write of a typed contribution (transcribe, translate, label): checked, scored, counted
at the write, stored (ADR 0010 §3, §4).

The rules hold where the row is written: the count at the write is one UPDATE of the item's
row that checks active, open, under the cap and not hidden, and takes the row lock, so
concurrent submissions for the last slot store one. A correction (a validator's "needs a
change") goes through the same checks and the same write, without the cap. Speak's audio
write stays in app/speak (it stores an object first); both refuse in the same words.

Refusals are `Text` (app/i18n/text.py), given in the reader's language by the HTTP layer; a
refusal that names the item is written out for each task (a clip, a sentence, an image), so
that each is a whole sentence to translate (`task_message`). Nothing refused here is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from app.contribute.items import read_item
from app.contributors.service import ensure_contributor
from app.db import Conn
from app.errors import Conflict, CrowdsourceError, NotFound
from app.i18n.text import Text
from app.progress.service import record_progress
from app.settings import Settings
from app.tasks import Task, precheck, task_message
from app.tasks.text import check_text


class UnknownItem(NotFound):
    code = "unknown_item"


class TaskClosed(Conflict):
    code = "task_closed"


class ItemFull(Conflict):
    code = "item_full"


class ItemReported(Conflict):
    code = "item_reported"


class AlreadyContributed(Conflict):
    code = "already_contributed"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class FarFromReference(CrowdsourceError):
    """Far from the item's reference text: the volunteer is asked to look again, and may
    confirm (the same submission with `confirmed: true` is stored, marked for validators)."""

    code = "far_from_reference"
    http_status = 422


# The refusals that name the item, per typed task: transcribe's items are clips, translate's
# sentences, label's images ({id} is the item's number).
NO_ITEM_TO_WORK_ON = {
    "transcribe": Text("There is no clip with id {id} to work on."),
    "translate": Text("There is no sentence with id {id} to work on."),
    "label": Text("There is no image with id {id} to work on."),
}
NO_ITEM_TO_SKIP = {
    "transcribe": Text("There is no clip with id {id} to skip."),
    "translate": Text("There is no sentence with id {id} to skip."),
    "label": Text("There is no image with id {id} to skip."),
}
_FULL = {
    "transcribe": Text("This clip has all the answers it needs. Please take another one."),
    "translate": Text("This sentence has all the answers it needs. Please take another one."),
    "label": Text("This image has all the answers it needs. Please take another one."),
}
_REPORTED = {
    "transcribe": Text("This clip is being reviewed. Please take another one."),
    "translate": Text("This sentence is being reviewed. Please take another one."),
    "label": Text("This image is being reviewed. Please take another one."),
}
_ALREADY = {
    "transcribe": Text("You have already answered this clip. Thank you!"),
    "translate": Text("You have already answered this sentence. Thank you!"),
    "label": Text("You have already answered this image. Thank you!"),
}
# Far from the reference: transcripts and labels are scored by characters ({share} of every
# 100 differ), translations by chrF (app/tasks/precheck.py).
_FAR = {
    # Translators: {share} is a whole number from 0 to 100 (or more).
    "transcribe": Text(
        "This differs from what we expected for this clip (about {share} in 100 characters"
        " differ). Please check it again; if you are sure, submit it anyway."
    ),
    # Translators: {share} is a whole number from 0 to 100 (or more).
    "label": Text(
        "This differs from what we expected for this image (about {share} in 100 characters"
        " differ). Please check it again; if you are sure, submit it anyway."
    ),
    "translate": Text(
        "This translation is far from what we expected for this sentence. Please read it"
        " again; if you are sure, submit it anyway."
    ),
}


def check_item_open(
    task: Task, row: dict[str, Any] | None, item_id: int, *, report_limit: int | None,
    correction: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The item row if it may be contributed to now; else the refusal that applies. A
    correction is not held to the cap."""
    if row is None or not row["is_active"]:
        raise UnknownItem(task_message(NO_ITEM_TO_WORK_ON, task, id=item_id))
    if not row["language_open"]:
        raise TaskClosed(Text("This task is not open in this language at the moment."))
    if not correction and row["contribution_count"] >= row["cap"]:
        raise ItemFull(task_message(_FULL, task))
    if report_limit is not None and row["report_count"] >= report_limit:
        raise ItemReported(task_message(_REPORTED, task))
    return row


@dataclass(frozen=True)
class Checked:
    """A text as it will be stored, with its pre-check score (None: no reference)."""

    text: str
    score: precheck.Score | None


def check_answer(
    task: Task, item: dict[str, Any], language: dict[str, Any], raw: str, settings: Settings
) -> Checked:
    """The text rules of `task` on `raw` for `item` (raising a TextRefused, 422), then its
    pre-check score against the item's reference text, if it has one. A prompt's reference is
    its `text` (a reference translation); a clip's or an image's is its `text` too."""
    kind = task.contribution_kind
    text = check_text(
        raw,
        script=language["script"],
        language_name=language["name"],
        kind=kind,
        duration_ms=item.get("media_duration_ms"),
        reference=item.get("text") if kind == "label" else None,
        source=item.get("source_text") if kind == "translation" else None,
    )
    score = precheck.score(kind, text, item.get("text"), language=language["code"],
                           settings=settings)  # fmt: skip
    return Checked(text, score)


def refuse_far(task: Task, score: precheck.Score) -> FarFromReference:
    """The refusal of a text far from the reference, in words (the page offers to confirm)."""
    share = round(score.value * 100) if score.metric == "cer" else None
    return FarFromReference(task_message(_FAR, task, share=share))


@dataclass(frozen=True)
class NewText:
    contributor_id: uuid.UUID
    item: dict[str, Any]  # read_item's row
    idempotency_key: str
    checked: Checked
    device: str | None
    browser: str | None
    report_limit: int
    corrects_id: int | None = None
    time_zone: str | None = None  # as the browser reported it (app/progress/zones.py)


_TEXT_COLUMNS = """
SELECT public_id::text AS id, item_id, language_code AS language, kind, text,
       CASE WHEN status = 'removed' THEN 'rejected' ELSE status END AS status,
       reference_score, reference_metric, past_threshold
  FROM contributions
"""
_FIND_BY_KEY = _TEXT_COLUMNS + " WHERE contributor_id = %s AND idempotency_key = %s"
_CORRECTION_BY = _TEXT_COLUMNS + " WHERE contributor_id = %s AND corrects_id = %s"


def find_text_by_key(
    conn: Conn, task: Task, contributor_id: uuid.UUID, key: str, item_id: int
) -> dict[str, Any] | None:
    """The contribution this person already made with idempotency key `key`, if any. Raises
    IdempotencyConflict when it was for another item or task."""
    row = conn.execute(_FIND_BY_KEY, (contributor_id, key)).fetchone()
    if row is not None and (row["item_id"] != item_id or row["kind"] != task.contribution_kind):
        raise IdempotencyConflict(
            Text(
                "This idempotency key was already used for another answer. "
                "Use a new key for each answer."
            )
        )
    return row


def correction_by(conn: Conn, contributor_id: uuid.UUID, corrects_id: int) -> dict | None:
    """The correction this person made of contribution `corrects_id`, if any."""
    return conn.execute(_CORRECTION_BY, (contributor_id, corrects_id)).fetchone()


def save_text(conn: Conn, task: Task, new: NewText) -> tuple[dict[str, Any], bool]:
    """Count the item and insert the contribution, in one transaction; return (row, created).

    A concurrent request with the same idempotency key loses quietly and returns the
    winner's row with created=False. Raises AlreadyContributed when the person has another
    contribution on the item, and the refusals of `check_item_open` when a rule no longer lets
    the item be contributed to (checked in the statement that counts it). A new row (a
    correction too) counts toward the person's progress in the same transaction; the badges
    and milestones it earned are in the row's "achievements" (app/progress)."""
    item_id = new.item["id"]
    score = new.checked.score
    correction = new.corrects_id is not None
    try:
        with conn.transaction():
            counted = conn.execute(
                task.sql.count_correction if correction else task.sql.count_contribution,
                {"item_id": item_id, "report_limit": new.report_limit},
            ).fetchone()
            if counted is None:
                now = read_item(conn, task, item_id)
                check_item_open(task, now, item_id, report_limit=new.report_limit,
                                correction=correction)  # fmt: skip
                raise ItemFull(task_message(_FULL, task))  # a race
            ensure_contributor(conn, new.contributor_id)
            row = conn.execute(
                task.sql.insert_text,
                {
                    "public_id": uuid.uuid4(),
                    "contributor": new.contributor_id,
                    "item_id": item_id,
                    "language": new.item["language_code"],
                    "key": new.idempotency_key,
                    "text": new.checked.text,
                    "corrects": new.corrects_id,
                    "score": score.value if score else None,
                    "metric": score.metric if score else None,
                    "past_threshold": bool(score and score.past_threshold),
                    "device": new.device,
                    "browser": new.browser,
                },
            ).fetchone()
            assert row is not None
            awarded = record_progress(
                conn, new.contributor_id, language=new.item["language_code"], task=task.name,
                category="contribute", time_zone=new.time_zone,
            )  # fmt: skip
    except psycopg.errors.UniqueViolation as exc:
        existing = find_text_by_key(conn, task, new.contributor_id, new.idempotency_key, item_id)
        if existing is not None:
            return existing, False
        raise AlreadyContributed(task_message(_ALREADY, task)) from exc
    row["kind"] = task.contribution_kind
    row["achievements"] = awarded
    return row, True
