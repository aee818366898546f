"""What the three typed tasks share: the queue's columns, the item look-ups and the checks.

Each task's module says only what differs (its kinds, its attention time, its reasons); this
module keeps the fragments they would otherwise write three times.
"""

from __future__ import annotations

from app.tasks import precheck
from app.tasks.text import check_text

# What the validate queue shows of a typed contribution and its item (the page shows the
# item's media through a signed link made from `item_id`, never the stored key).
QUEUE_MEDIA_ITEM = (
    "c.text, c.item_id, NULL::text AS item_text, NULL::text AS item_source_language,"
    " d.media_key AS item_media_key, d.media_duration_ms AS item_duration_ms,"
    " d.media_measures AS item_measures, c.past_threshold AS flagged"
)
QUEUE_PROMPT_ITEM = (
    "c.text, c.item_id, (SELECT s.text FROM dataset_rows s WHERE s.id = d.source_item_id)"
    " AS item_text, d.source_language_code AS item_source_language,"
    " NULL::text AS item_media_key, NULL::integer AS item_duration_ms,"
    " NULL::jsonb AS item_measures, c.past_threshold AS flagged"
)
# What the pick shows of an item: nothing of a clip or an image (the reference text an item
# may carry is never shown), the source sentence of a prompt (while it is active and not
# hidden by reports itself).
MEDIA_LOOKUP = """SELECT NULL::text AS text FROM dataset_rows d
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s"""
PROMPT_LOOKUP = """SELECT s.text FROM dataset_rows d JOIN dataset_rows s ON s.id = d.source_item_id
                               WHERE d.id = k.id AND d.report_count < %(report_limit)s
                                 AND s.is_active AND s.report_count < %(report_limit)s"""

__all__ = [
    "MEDIA_LOOKUP",
    "PROMPT_LOOKUP",
    "QUEUE_MEDIA_ITEM",
    "QUEUE_PROMPT_ITEM",
    "check_text",
    "precheck",
]
