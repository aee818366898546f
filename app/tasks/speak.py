"""Speak: read a sentence aloud. The item is a sentence, the contribution a recording checked by
the audio analysis, validated by a vote, exported in the Common Voice layout."""

from __future__ import annotations

from app.audio import analyse_recording
from app.tasks.base import Task

# What a sentence or a recording may be reported for (migration 0002's CHECK holds the same).
REPORT_REASONS = ("offensive", "wrong_language", "mismatch", "poor_audio", "grammar_or_spelling",
                  "other")  # fmt: skip

SPEAK = Task(
    name="speak",
    item_kind="sentence",
    contribution_kind="recording",
    takes="audio",
    corrections=False,  # a bad reading is recorded again by someone else, not edited
    own_items_validatable=True,  # a speaker may validate others' readings of their sentence
    attention_ms="c.duration_ms",  # the recording's own length
    queue_item="d.text AS sentence",
    report_reasons=REPORT_REASONS,
    check=analyse_recording,
    reference_score=None,
    exporter="commonvoice",
    label="recording",
)
