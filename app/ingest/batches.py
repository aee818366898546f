"""Ingest batches: one per `crowdsource ingest` run, listed, retired and re-activated whole.

Retiring a batch sets `is_active = false` on the batch and on every row it added, so they
leave the speak (and later transcribe and label) queues, which only offer active rows;
re-activating sets both back. Rows that a run found already present belong to the batch that
added them first and are not touched.
"""

from __future__ import annotations

from typing import Any

from app.db import Conn
from app.errors import NotFound


class UnknownBatch(NotFound):
    code = "unknown_batch"


_LIST = """
SELECT id, kind, language_code, source, added_count, refused_count, refusals, options,
       is_active, created_at
  FROM ingest_batches
 ORDER BY id DESC
 LIMIT %(limit)s
"""

_SET_BATCH = """
UPDATE ingest_batches SET is_active = %(active)s WHERE id = %(batch)s
RETURNING id, kind, language_code, source, added_count, is_active
"""

_SET_ROWS = """
UPDATE dataset_rows SET is_active = %(active)s
 WHERE batch_id = %(batch)s AND is_active IS DISTINCT FROM %(active)s
"""


def list_batches(conn: Conn, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest `limit` batches, newest first, with their counts and options."""
    return conn.execute(_LIST, {"limit": limit}).fetchall()


def set_batch_active(conn: Conn, batch_id: int, active: bool) -> dict[str, Any]:
    """Retire (`active` false) or re-activate batch `batch_id` and its rows, in one
    transaction; return the batch with `rows_changed`, the rows whose state changed.

    Raises UnknownBatch.
    """
    with conn.transaction():
        batch = conn.execute(_SET_BATCH, {"batch": batch_id, "active": active}).fetchone()
        if batch is None:
            raise UnknownBatch(f"there is no ingest batch {batch_id}")
        with conn.cursor() as cur:
            cur.execute(_SET_ROWS, {"batch": batch_id, "active": active})
            changed = cur.rowcount
    return {**batch, "rows_changed": changed}
