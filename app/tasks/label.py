"""Label: type the text in an image. The item is an ingested image (optionally with a
reference text), the contribution its text, checked by the text rules and validated by a
vote or a correction; exported as images and a TSV."""

from __future__ import annotations

from app.tasks.base import Task
from app.tasks.typed import MEDIA_LOOKUP, QUEUE_MEDIA_ITEM, check_text, precheck

LABEL = Task(
    name="label",
    item_kind="image",
    contribution_kind="label",
    takes="text",
    corrections=True,
    own_items_validatable=False,  # who typed an image's text does not judge another's
    attention_ms="0",  # served is enough (ADR 0010: no reading floor yet)
    queue_item=QUEUE_MEDIA_ITEM,
    report_reasons=(
        "offensive",
        "unreadable",
        "mismatch",
        "wrong_script",
        "wrong_language",
        "personal_information",
        "other",
    ),
    check=check_text,
    reference_score=precheck.score,
    exporter="images",
    item_lookup=MEDIA_LOOKUP,
    home="language_tasks",
    label="label",
)
