"""Transcribe: listen to a clip and type what is said. The item is an audio clip (ingested,
or an accepted recording where the language enables it), the contribution a transcript,
checked by the text rules against the clip's length, validated by a vote or a correction;
exported as an ASR dataset."""

from __future__ import annotations

from app.tasks.base import Task
from app.tasks.typed import MEDIA_LOOKUP, QUEUE_MEDIA_ITEM, check_text, precheck

TRANSCRIBE = Task(
    name="transcribe",
    item_kind="audio",
    contribution_kind="transcription",
    takes="text",
    corrections=True,
    own_items_validatable=False,  # who transcribed a clip does not judge another transcript
    attention_ms="d.media_duration_ms",  # the clip's length: hear it before judging
    queue_item=QUEUE_MEDIA_ITEM,
    report_reasons=(
        "offensive",
        "mismatch",
        "wrong_script",
        "wrong_language",
        "poor_audio",
        "personal_information",
        "other",
    ),
    check=check_text,
    reference_score=precheck.score,
    exporter="asr",
    item_lookup=MEDIA_LOOKUP,
    home="language_tasks",
    label="transcript",
)
