"""Items to contribute on, for any task: picking them, reading one, skipping one (ADR 0010).

These functions know the rules every task shares and run the task's own statements; the
refusals, which speak of sentences, clips or images, belong to each task's callers.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.contributors.service import ensure_contributor
from app.db import Conn
from app.tasks import Task
from app.tasks.statements import MAX_PICK

# What an item's media is, by the extension its key was stored under (app/ingest/media.py
# names keys by what it decoded), the same on every machine (mimetypes reads the host's).
MEDIA_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
    "ogg": "audio/ogg", "opus": "audio/ogg", "wav": "audio/wav", "webm": "audio/webm",
    "mp3": "audio/mpeg", "m4a": "audio/mp4", "mp4": "audio/mp4", "flac": "audio/flac",
}  # fmt: skip


def pick_items(
    conn: Conn,
    task: Task,
    language_code: str,
    contributor_id: uuid.UUID | None,
    *,
    cap: int,
    count: int,
    report_limit: int,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """Up to `count` (at most MAX_PICK) items of `task` for this person: active, under `cap`
    contributions, not contributed to or skipped by them, not reported by `report_limit`
    people; fewest contributions first. A task whose items are picked per source language
    (translate) takes `source`. Raises ValueError for a count out of range."""
    if not 1 <= count <= MAX_PICK:
        raise ValueError(f"count must be 1..{MAX_PICK}, not {count}")
    params: dict[str, Any] = {
        "language": language_code,
        "cap": cap,
        "report_limit": report_limit,
        "me": contributor_id or uuid.UUID(int=0),
        "count": count,
    }
    if task.by_source:
        params["source"] = source
    return conn.execute(task.sql.pick_items, params).fetchall()


def read_item(conn: Conn, task: Task, item_id: int) -> dict[str, Any] | None:
    """The item `item_id` of `task` with everything that decides whether it may be contributed
    to now (active, language open, count and cap, reports), or None if there is none."""
    return conn.execute(task.sql.item_to_contribute, (item_id,)).fetchone()


def skip_item(conn: Conn, task: Task, contributor_id: uuid.UUID, item_id: int) -> bool:
    """Remember that this person does not want to work on `item_id` (idempotent). False, and
    nothing remembered, when there is no active item of `task` with that id."""
    if conn.execute(task.sql.skippable_item, (item_id,)).fetchone() is None:
        return False
    ensure_contributor(conn, contributor_id)
    conn.execute(
        "INSERT INTO skips (contributor_id, item_id) VALUES (%s, %s)"
        " ON CONFLICT (contributor_id, item_id) WHERE item_id IS NOT NULL DO NOTHING",
        (contributor_id, item_id),
    )
    return True
