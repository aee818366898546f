"""Translate: read a sentence and write it in another language. The item is a prompt (a
source sentence and a target language, in the target language), the contribution the
translation, checked by the text rules (not a copy of the source), validated by a vote or a
correction; exported as TSV and TMX."""

from __future__ import annotations

from app.tasks.base import Task
from app.tasks.typed import PROMPT_LOOKUP, QUEUE_PROMPT_ITEM, check_text, precheck

TRANSLATE = Task(
    name="translate",
    item_kind="prompt",
    contribution_kind="translation",
    takes="text",
    corrections=True,
    own_items_validatable=False,  # who translated a sentence does not judge another's version
    attention_ms="0",  # served is enough (ADR 0010: no reading floor yet)
    queue_item=QUEUE_PROMPT_ITEM,
    report_reasons=(
        "offensive",
        "mistranslation",
        "wrong_script",
        "wrong_language",
        "grammar_or_spelling",
        "personal_information",
        "other",
    ),
    check=check_text,
    reference_score=precheck.score,
    exporter="parallel",
    item_lookup=PROMPT_LOOKUP,
    home="language_tasks",
    by_source=True,
    label="translation",
)
